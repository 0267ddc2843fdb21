import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const main = join(import.meta.dirname, '../../cli/main.ts');

export interface SiteProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first JSON log record whose message matches. */
  waitFor(pattern: RegExp): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * `benchtop <command> --config <file>` as its own process, its JSON log lines collected;
 * inside network namespace `namespace` (`ip netns exec`, root) when one is given.
 */
export function startSiteProcess(
  command: 'agent' | 'hub' | 'start',
  configFile: string,
  toml: string,
  /** Extra environment, Node flags before the script (a preloaded test clock), a network namespace to run in. */
  options: { env?: Record<string, string>; nodeArgs?: string[]; namespace?: string } = {},
): SiteProcess {
  writeFileSync(configFile, toml);
  const args = [...(options.nodeArgs ?? []), main, command, '--config', configFile];
  const [file, argv] = options.namespace
    ? ['ip', ['netns', 'exec', options.namespace, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(file, argv, {
    env: { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (r: Record<string, unknown>) => void }[] = [];
  const records: Record<string, unknown>[] = [];
  const consider = (record: Record<string, unknown>) => {
    for (const w of [...waiters]) {
      if (w.pattern.test(String(record.msg))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  };
  const onLine = (line: string) => {
    lines.push(line);
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      records.push(record);
      consider(record);
    } catch {
      // Not a log record (a stack trace on stderr).
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (pattern) => {
      const seen = records.find((r) => pattern.test(String(r.msg)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) =>
          reject(new Error(`exited with ${code} before "${pattern}":\n${lines.join('\n')}`)),
        );
      });
    },
  };
}
