import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildHandle, nodeBin, repoRoot } from './child-process.ts';

const cli = join(repoRoot, 'src/cli/main.ts');

/** A scratch directory for one benchmark's files; removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `benchtop-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BenchtopProcess {
  url: string;
  child: ChildHandle;
  dir: string;
  /** performance.now() in the harness when the child was spawned. */
  spawnedAt: number;
  /** performance.now() in the harness when the "ready" log line arrived. */
  readyAt: number;
  /** SIGTERM (graceful stop), then removes the scratch directory. */
  stop(): Promise<void>;
}

function parseJson(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * `benchtop start` in a child process, as a user runs it: the given TOML in a scratch
 * directory, the server on an ephemeral loopback port, output under the scratch directory.
 * Resolves once the server logs that it is listening. `nodeArgs` lets a profiling run add
 * `--cpu-prof`.
 */
export async function startBenchtop(options: {
  name: string;
  config: string;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}): Promise<BenchtopProcess> {
  const { dir, remove } = scratchDir(options.name);
  const file = join(dir, 'benchtop.toml');
  writeFileSync(file, options.config);
  const env = { ...process.env };
  delete env.BENCHTOP_CONFIG;
  const spawnedAt = performance.now();
  const child = new ChildHandle(
    nodeBin,
    [
      // As `npm start`, bin/benchtop.js and deploy/benchtop.service run it (src/app/startup-memory.ts).
      '--expose-gc',
      ...(options.nodeArgs ?? []),
      cli,
      'start',
      '--config',
      file,
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--set',
      `storage.output_dir=${join(dir, 'data')}`,
    ],
    { cwd: dir, env },
  );
  let url: string;
  try {
    const line = await child.waitForLine(
      (l) => String(parseJson(l)?.msg ?? '').startsWith('Benchtop ready at'),
      options.readyTimeoutMs ?? 60_000,
      `${options.name}: Benchtop ready`,
    );
    url = String(parseJson(line)!.url);
  } catch (error) {
    await child.stop(2_000);
    remove();
    throw error;
  }
  const readyAt = performance.now();
  return {
    url,
    child,
    dir,
    spawnedAt,
    readyAt,
    stop: async () => {
      await child.stop(15_000);
      remove();
    },
  };
}

/**
 * `benchtop sim` in a child process: the configuration's instrument simulators on ephemeral
 * loopback ports, outside the server's process, so the server's CPU is Benchtop's alone.
 * Resolves with each instrument id's port. `nodeArgs` lets a profiling run add `--cpu-prof`
 * (written when `stop` ends it: `benchtop sim` exits cleanly on SIGTERM).
 */
export async function startSimulators(options: {
  name: string;
  config: string;
  nodeArgs?: string[];
}): Promise<{
  ports: Record<string, number>;
  child: ChildHandle;
  stop(): Promise<void>;
}> {
  const { dir, remove } = scratchDir(`${options.name}-sim`);
  const file = join(dir, 'sim.toml');
  writeFileSync(file, options.config);
  const child = new ChildHandle(nodeBin, [...(options.nodeArgs ?? []), cli, 'sim', '--config', file], {
    cwd: dir,
  });
  try {
    await child.waitForLine((l) => /simulator\(s\) running/.test(l), 30_000, `${options.name}: simulators`);
  } catch (error) {
    await child.stop(2_000);
    remove();
    throw error;
  }
  const ports: Record<string, number> = {};
  for (const line of child.lines) {
    const match = /^(\S+)\s+\S+\s+tcp:\/\/[^:]+:(\d+)$/.exec(line.trim());
    if (match) ports[match[1]!] = Number(match[2]);
  }
  return {
    ports,
    child,
    stop: async () => {
      await child.stop(5_000);
      remove();
    },
  };
}
