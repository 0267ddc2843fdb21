import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

interface LogLine {
  msg?: string;
  level?: number;
  url?: string;
  [field: string]: unknown;
}

/**
 * The environment without BENCHTOP_* variables: they would override the test's configuration
 * (BENCHTOP_SERVER__PORT…), point a command at another server, or be refused as unknown settings.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BENCHTOP_')));
}

/**
 * A real Benchtop (`benchtop start`) in a child process. `start` resolves with the URL from its
 * "Benchtop ready at …" log line; `stop` sends SIGTERM and waits for the exit.
 */
export class BenchtopChild {
  private child: ChildProcess | null = null;
  private readonly config: string;
  url = '';
  port = 0;
  /** The last warnings and errors it logged, for a failing test to say what the server saw. */
  private readonly problems: string[] = [];

  constructor(config: string) {
    this.config = config;
  }

  /** Starts on an ephemeral port, or on `port` (a restart keeps the address the browser has open). */
  async start(port = 0): Promise<string> {
    const child = spawn(process.execPath, [MAIN, 'start', '--port', String(port), '--config', this.config], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (text) => {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          return;
        }
        // pino levels: 40 warn, 50 error, 60 fatal.
        if (typeof line.level === 'number' && line.level >= 40) {
          this.problems.push(text.length > 600 ? `${text.slice(0, 600)}…` : text);
          if (this.problems.length > 20) this.problems.shift();
        }
        if (typeof line.msg === 'string' && line.msg.startsWith('Benchtop ready at ') && line.url)
          resolve(line.url);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`Benchtop exited (${code ?? signal}) before it was ready; stderr: ${stderr}`)),
      );
    });
    this.url = url;
    this.port = Number(new URL(url).port);
    return url;
  }

  /** Its last warnings and errors (at most 20 log lines), oldest first. */
  recentProblems(): string[] {
    return [...this.problems];
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** For `after` hooks: nothing may outlive the test. */
  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

/** Runs `benchtop <args>` to completion (keys, users), with `input` on stdin; resolves with stdout. */
export async function benchtopCommand(args: string[], input = ''): Promise<string> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`benchtop ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}
