import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, tmpdir, totalmem } from 'node:os';
import { basename } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { BENCHTOP_VERSION } from '../../src/core/version.ts';
import { python } from './child-process.ts';

/** PostgreSQL the benchmarks may use: the machine's local server (trust auth), database `test`. */
export const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The disk the benchmarks write to (the temp directory's filesystem). */
function disk(): Record<string, unknown> {
  const dir = tmpdir();
  const [fstype, source] = (run('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', dir]) ?? '').split(/\s+/);
  const df = run('df', ['-P', '-B1', dir])?.split('\n')[1]?.split(/\s+/);
  const device = source ? basename(source).replace(/\d+$/, '').replace(/p$/, '') : null;
  const rotational = device ? read(`/sys/block/${device}/queue/rotational`) : null;
  return {
    path: dir,
    source: source ?? null,
    filesystem: fstype || null,
    size_bytes: df ? Number(df[1]) : null,
    available_bytes: df ? Number(df[3]) : null,
    rotational: rotational === null ? null : rotational === '1',
    model: device
      ? (read(`/sys/block/${device}/device/model`) ?? read(`/sys/block/${device}/device/vendor`))
      : null,
  };
}

export function machine(): Record<string, unknown> {
  const model = /^model name\s*:\s*(.+)$/m.exec(read('/proc/cpuinfo') ?? '')?.[1] ?? null;
  return {
    cpu_model: model,
    cores: availableParallelism(),
    memory_bytes: totalmem(),
    kernel: release(),
    disk: disk(),
    /** Other work on the machine when the run started: benchmarks on a shared box are noisier. */
    load_average_at_start: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

function pythonVersions(): Record<string, string | null> {
  const script = `
import json, sys
out = {"python": sys.version.split()[0]}
def version(name, get):
    try:
        out[name] = get()
    except Exception:
        out[name] = None
version("pyvisa", lambda: __import__("pyvisa").__version__)
version("pyvisa_py", lambda: __import__("importlib.metadata").metadata.version("pyvisa-py"))
version("h5py", lambda: __import__("h5py").__version__)
version("hdf5_h5py", lambda: __import__("h5py").version.hdf5_version)
version("numpy", lambda: __import__("numpy").__version__)
print(json.dumps(out))
`;
  const out = run(python, ['-c', script]);
  if (!out) return { python: null, pyvisa: null, pyvisa_py: null, h5py: null, hdf5_h5py: null, numpy: null };
  return JSON.parse(out) as Record<string, string | null>;
}

export async function versions(): Promise<Record<string, string | null>> {
  const db = new DatabaseSync(':memory:');
  const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  db.close();
  const h5wasm = JSON.parse(
    read(new URL('../../node_modules/h5wasm/package.json', import.meta.url).pathname) ?? '{}',
  ).version as string | undefined;
  return {
    node: process.versions.node,
    benchtop: BENCHTOP_VERSION,
    ...pythonVersions(),
    postgres: await postgresVersion(),
    sqlite,
    h5wasm: h5wasm ?? null,
  };
}
