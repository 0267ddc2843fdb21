import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private nats-server (Debian's 2.9.10 on the CI machine) with JetStream in its own store
 * directory, on a port it picks: never the machine's shared one on 4222.
 */
export class PrivateNatsServer {
  readonly storeDir: string;
  private child: ChildProcess | null = null;
  port = 0;
  private readonly extraArgs: string[];
  /** What this run of the server has logged, and who waits for a line in it. */
  private log = '';
  private readonly logWaiters: { pattern: RegExp; times: number; resolve: () => void }[] = [];

  constructor(extraArgs: string[] = []) {
    this.storeDir = mkdtempSync(join(tmpdir(), 'benchtop-nats-'));
    this.extraArgs = extraArgs;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, on the same port and store after a stop) and resolves once it accepts clients. */
  async start(): Promise<void> {
    const child = spawn(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(this.port || -1), '-js', '-sd', this.storeDir, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        this.wakeLogWaiters();
        const log = this.log;
        const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
        if (m && /Server is ready/.test(log)) {
          this.port = Number(m[1]);
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.stdout!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${this.log}`)));
    });
  }

  /** Resolves once this run of the server has logged a line matching `pattern` `times` times. */
  waitForLog(pattern: RegExp, times = 1): Promise<void> {
    return new Promise((resolve) => {
      this.logWaiters.push({ pattern, times, resolve });
      this.wakeLogWaiters();
    });
  }

  private wakeLogWaiters(): void {
    for (const w of [...this.logWaiters]) {
      const seen = this.log.split('\n').filter((line) => w.pattern.test(line)).length;
      if (seen < w.times) continue;
      this.logWaiters.splice(this.logWaiters.indexOf(w), 1);
      w.resolve();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
