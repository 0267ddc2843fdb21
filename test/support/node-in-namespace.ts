import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Why network namespaces cannot be made here (not root, no iproute2, a container that forbids them), or false. */
export function whyNoNamespaces(): string | false {
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is not installed';
  const probe = `btprobe${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0)
    return `network namespaces are not permitted here (ip netns add needs root): ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'delete', probe]);
  return false;
}

export interface NamespaceRun {
  code: number;
  /**
   * What to put in the failing assertion: the child's failure lines with their context and its
   * last lines. CI keeps only part of a long log, and the failing test's own message is always
   * in that part, so the reason has to travel in it.
   */
  report: string;
}

const KEEP_TAIL = 40;
const FAILURE = /✖|not ok|Error|not within|gave up waiting/;

/**
 * Runs `node <args>` inside network namespace `namespace` (`ip netns exec`, root) with `env`
 * added. Its output is passed through as it comes and also kept for the report.
 */
export function nodeInNamespace(
  namespace: string,
  args: string[],
  env: Record<string, string>,
): Promise<NamespaceRun> {
  // Without NODE_TEST_CONTEXT the child's `node --test` runs its file instead of deferring to us.
  const { NODE_TEST_CONTEXT: _, ...rest } = process.env;
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...args], {
    env: { ...rest, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const failures: string[] = [];
  let before: string[] = [];
  let after = 0;
  const onLine = (line: string) => {
    process.stdout.write(`${line}\n`);
    tail.push(line);
    if (tail.length > KEEP_TAIL) tail.shift();
    if (FAILURE.test(line)) {
      // The lines just before a failure say which step it was (the progress lines).
      if (failures.length < 200) failures.push(...before, line);
      before = [];
      after = 12;
    } else if (after > 0) {
      after--;
      if (failures.length < 200) failures.push(line);
    } else {
      before.push(line);
      if (before.length > 6) before.shift();
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        report: `failures:\n${failures.join('\n')}\n--- last lines:\n${tail.join('\n')}`,
      }),
    ),
  );
}
