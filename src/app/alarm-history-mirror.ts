import type { BenchtopConfig } from '../config/schema.ts';
import { type Clock, sleep } from '../core/clock.ts';
import type { BenchtopError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { HealthCheck } from '../server/health/health-service.ts';
import { AgeRetention } from '../storage/age-retention.ts';
import { AlarmHistoryQueue } from '../storage/alarm-history/alarm-history-queue.ts';
import { PostgresAlarmHistory } from '../storage/alarm-history/postgres-alarm-history.ts';

/** Events held at most while PostgreSQL is down (each a few hundred bytes). */
const QUEUE_CAPACITY = 100_000;
const RETRY_MS = 5_000;
/** At shutdown, how long the events still queued may take to be written before they are given up. */
const STOP_FLUSH_MS = 5_000;

export interface AlarmHistoryMirrorOptions {
  clock: Clock;
  logger: Logger;
  /** Events held at most (default 100,000). */
  queueCapacity?: number;
  /** Each failed write attempt (counted in the error metrics by the caller). */
  onWriteError?: (error: BenchtopError) => void;
}

/**
 * The alarm history copied to PostgreSQL: every event alarms.sqlite commits is queued here and
 * written to `alarm_events`, with Benchtop's retention sweep where TimescaleDB's policy does not
 * do it. Made only with `[storage.postgres]`; alarms.sqlite stays what the alarm service reads.
 */
export class AlarmHistoryMirror {
  readonly history: PostgresAlarmHistory;
  readonly queue: AlarmHistoryQueue;
  private readonly retention: AgeRetention;
  private readonly o: AlarmHistoryMirrorOptions;
  private lastError: BenchtopError | null = null;
  private started = false;

  /** The mirror `config` asks for, or null without `[storage.postgres]`. */
  static fromConfig(
    config: Pick<BenchtopConfig, 'storage' | 'retention'>,
    options: AlarmHistoryMirrorOptions,
  ): AlarmHistoryMirror | null {
    const pg = config.storage.postgres;
    if (!pg) return null;
    return new AlarmHistoryMirror(
      new PostgresAlarmHistory({
        url: pg.url,
        timescaledb: pg.timescaledb,
        retentionDays: config.retention.production_days,
      }),
      config.retention.production_days,
      options,
    );
  }

  constructor(history: PostgresAlarmHistory, retentionDays: number, options: AlarmHistoryMirrorOptions) {
    this.o = options;
    this.history = history;
    const log = options.logger.child({ component: 'alarm-history' });
    this.queue = new AlarmHistoryQueue({
      history,
      clock: options.clock,
      capacity: options.queueCapacity ?? QUEUE_CAPACITY,
      retryMs: RETRY_MS,
      onWriteError: (error) => {
        this.lastError = error;
        options.onWriteError?.(error);
      },
      onBacklog: (state, queued) => {
        if (state === 'holding')
          log.warn(
            { err: this.lastError, queued },
            'alarm history: PostgreSQL is slow or down; holding alarm events in memory (alarms.sqlite has them) until it is back',
          );
        else log.info('alarm history: PostgreSQL is back; every held alarm event is written');
      },
      onRejected: () => log.error('alarm history: queue full, an alarm event was not copied to PostgreSQL'),
    });
    this.retention = new AgeRetention({
      clock: options.clock,
      store: history,
      days: retentionDays,
      onError: (error) => log.warn({ err: error }, 'alarm history retention sweep failed'),
    });
  }

  /** Creates the schema now if the database answers (a failure is retried with the first write) and starts the retention sweep. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.history.migrate().catch((error: BenchtopError) => {
      this.lastError = error;
      this.o.logger
        .child({ component: 'alarm-history' })
        .warn(
          { err: error },
          'alarm history: PostgreSQL schema not created yet; retried with the first event',
        );
    });
    this.retention.start();
  }

  /** Writes what is queued (waiting a few seconds at most for a database that is down), then closes. */
  async stop(): Promise<void> {
    await this.retention.stop();
    const timeout = new AbortController();
    const flushed = await Promise.race([
      this.queue.close().then(() => true),
      sleep(this.o.clock, STOP_FLUSH_MS, timeout.signal).then(
        () => false,
        () => false,
      ),
    ]);
    timeout.abort();
    if (!flushed) {
      const dropped = this.queue.abandon();
      this.o.logger
        .child({ component: 'alarm-history' })
        .warn(
          { dropped },
          `alarm history: ${dropped} alarm events not copied to PostgreSQL before shutdown (they are in alarms.sqlite)`,
        );
    }
    await this.history.close();
  }

  /** For /health: degraded while events are held for a slow or absent database, or the queue is full. */
  health(): HealthCheck {
    const stats = this.queue.stats;
    const full = stats.queuedRecords >= stats.capacity;
    return {
      name: 'alarm_history',
      status: this.queue.holding || full ? 'degraded' : 'healthy',
      details: {
        backend: this.history.kind,
        queued: stats.queuedRecords,
        capacity: stats.capacity,
        written: stats.writtenRecords,
        rejected: stats.rejectedBatches,
        failed_attempts: stats.failedAttempts,
        ...(this.queue.holding && this.lastError ? { error: this.lastError.message } : {}),
      },
    };
  }
}
