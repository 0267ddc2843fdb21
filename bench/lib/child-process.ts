import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** The Node running the harness (the pinned Node 24): every Node child uses it too. */
export const nodeBin = process.execPath;
export const python = '/usr/bin/python3';
/** The repository root, for scripts the harness starts. */
export const repoRoot = new URL('../../', import.meta.url).pathname;

export function benchScript(relative: string): string {
  return new URL(`../${relative}`, import.meta.url).pathname;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** An IPC channel for messages (load generators are told when to report). */
  ipc?: boolean;
  /** A pipe to the child's stdin (`writeLine`), for children told what to do next (serve modes). */
  stdin?: boolean;
}

/**
 * A child process the harness owns: its stdout lines are kept (and parsed when they are JSON),
 * stderr is kept for error messages, and `stop` ends exactly this process (by its pid).
 */
export class ChildHandle {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  private stderrText = '';
  private readonly waiters = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitCode: number | null = null;
  private hasExited = false;

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.process = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    this.exited = once(this.process, 'exit').then(([code, signal]) => {
      this.hasExited = true;
      this.exitCode = code as number | null;
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      this.lines.push(line);
      if (this.lines.length > 5000) this.lines.splice(0, 2500);
      for (const w of this.waiters) {
        if (w.test(line)) {
          this.waiters.delete(w);
          w.resolve(line);
        }
      }
    });
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-20_000);
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** The first stdout line (from now on, or already seen) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what}: not seen within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      waiter.resolve = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.add(waiter);
      void this.exited.then(({ code }) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${what}: process exited (${code}) first; stderr: ${this.stderr.slice(-2000)}`));
      });
    });
  }

  /** The next IPC message that passes `test`. */
  nextMessage<T>(test: (message: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: T) => {
        if (!test(message)) return;
        cleanup();
        resolve(message);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${what}: process exited first; stderr: ${this.stderr.slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.process.off('message', onMessage);
        this.process.off('exit', onExit);
      };
      this.process.on('message', onMessage);
      this.process.on('exit', onExit);
    });
  }

  /** One line to the child's stdin (spawned with `stdin: true`); an empty line ends its input. */
  writeLine(line: string): void {
    if (!this.process.stdin) throw new Error('this child has no stdin pipe (spawn it with stdin: true)');
    if (line === '') this.process.stdin.end();
    else this.process.stdin.write(`${line}\n`);
  }

  send(message: object): void {
    this.process.send?.(message);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) this.process.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Runs a command to completion and returns the last stdout line that is a JSON object: the
 * convention of every measuring child and anchor script here.
 */
export async function runJson<T>(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<T> {
  const child = new ChildHandle(command, args, options);
  const timer = setTimeout(() => void child.stop(2_000), options.timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  const name = `${command} ${args.join(' ')}`.slice(0, 200);
  if (code !== 0) {
    throw new Error(
      `${name} failed (${signal ?? `exit ${code}`}); stderr: ${child.stderr.slice(-2000)} stdout: ${child.lines.slice(-5).join('\n')}`,
    );
  }
  for (const line of [...child.lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // not the result line
    }
  }
  throw new Error(`${name} printed no JSON result; stdout: ${child.lines.slice(-5).join('\n')}`);
}

export function runNodeJson<T>(script: string, args: readonly string[], timeoutMs: number): Promise<T> {
  return runJson<T>(nodeBin, [script, ...args], { timeoutMs });
}
