import type { Clock, TimerHandle } from '../../core/clock.ts';
import { nextCronTime } from '../../core/cron-schedule.ts';
import type { Logger } from '../../core/logger.ts';
import type { BackupInfo } from './backup-manager.ts';

/** Runs `backup` on a cron schedule (`[backup] schedule`), one at a time, logging each outcome. */
export class BackupScheduler {
  private readonly expression: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backup: () => Promise<BackupInfo>;
  private timer: TimerHandle | null = null;
  private running = false;
  lastResult: { at: string; ok: boolean; file?: string; error?: string } | null = null;

  constructor(options: { expression: string; clock: Clock; log: Logger; backup: () => Promise<BackupInfo> }) {
    this.expression = options.expression;
    this.clock = options.clock;
    this.log = options.log;
    this.backup = options.backup;
  }

  start(): void {
    const now = this.clock.now();
    const next = nextCronTime(this.expression, now);
    this.timer = this.clock.setTimeout(() => void this.fire(), next - now);
    this.log.info({ next: new Date(next).toISOString(), schedule: this.expression }, 'backups scheduled');
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (!this.running) {
      this.running = true;
      try {
        const info = await this.backup();
        this.lastResult = { at: new Date(this.clock.now()).toISOString(), ok: true, file: info.file };
        this.log.info({ file: info.file, bytes: info.bytes }, 'scheduled backup written');
      } catch (error) {
        this.lastResult = {
          at: new Date(this.clock.now()).toISOString(),
          ok: false,
          error: (error as Error).message,
        };
        this.log.error({ err: error }, 'scheduled backup failed');
      } finally {
        this.running = false;
      }
    }
    this.start();
  }
}
