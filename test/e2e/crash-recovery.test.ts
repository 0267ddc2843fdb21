import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/cli/client/api-client.ts';
import { exportRemoteCommand } from '../../src/cli/commands/export.ts';
import type { RunEvent, RunStart } from '../../src/core/documents.ts';
import { exportRun } from '../../src/storage/export/export-run.ts';
import { openHdf5Run } from '../../src/storage/export/hdf5-run-reader.ts';
import { openRunDataReader } from '../../src/storage/export/run-data-reader.ts';
import { fieldName, runFileName } from '../../src/storage/hdf5/run-file-layout.ts';
import { recoverRunFile } from '../../src/storage/hdf5/run-file-recovery.ts';
import {
  hasCommand,
  hasH5py,
  PYTHON,
  RunFileReader,
} from '../../src/storage/hdf5/test-support/run-file-reader.ts';

/**
 * The crash the HDF5 layout is built for: a real Benchtop process on the simulated lab is
 * killed with SIGKILL in the middle of a long time series. The run file must still open and
 * hold every event flushed before the kill, and the next Benchtop on the same output_dir must
 * mark the run interrupted.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/default.toml', import.meta.url));
/** Events that must be in the file: the run is killed once the point after them was taken. */
const FLUSHED = 20;
const SIGNALS = ['meter.power', 'dmm.voltage'];

const root = mkdtempSync(join(tmpdir(), 'benchtop-crash-e2e-'));
const outputDir = join(root, 'data');
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** config/default.toml (the simulated lab) with a temporary output_dir, 0.5 s flushes, 1 s laser warm-up. */
function writeConfig(): string {
  let toml = readFileSync(DEFAULT_CONFIG, 'utf8');
  const edit = (from: string, to: string) => {
    assert.ok(toml.includes(from), `config/default.toml no longer contains ${JSON.stringify(from)}`);
    toml = toml.replace(from, to);
  };
  edit('[simulation]\nenabled = true', '[simulation]\nenabled = true\nwarmup_s = 1');
  edit('default_backend = "hdf5"', 'default_backend = "hdf5"\nauto_flush_interval_secs = 0.5');
  edit('output_dir = "./data"', `output_dir = ${JSON.stringify(outputDir)}`);
  const path = join(root, 'benchtop.toml');
  writeFileSync(path, toml);
  return path;
}

interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

/** A Benchtop child process whose JSON log lines can be awaited. */
function startBenchtop(config: string) {
  const { BENCHTOP_CONFIG: _c, BENCHTOP_URL: _u, BENCHTOP_API_KEY: _k, ...env } = process.env;
  const child = spawn(process.execPath, [MAIN, 'start', '--port', '0', '--config', config], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve(l: LogLine): void; reject(e: Error): void }[] = [];
  let stderr = '';
  let exit: string | null = null;
  const settle = () => {
    for (const waiter of [...waiters]) {
      const line = lines.find(waiter.match);
      if (line) waiter.resolve(line);
      else if (exit !== null) waiter.reject(new Error(`Benchtop exited (${exit}) first; stderr: ${stderr}`));
      else continue;
      waiters.splice(waiters.indexOf(waiter), 1);
    }
  };
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      lines.push({ msg: text });
    }
    settle();
  });
  child.on('exit', (code, signal) => {
    exit = String(code ?? signal);
    children.delete(child);
    settle();
  });
  /** Resolves with the first log line (already printed or still to come) that matches. */
  const logLine = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      waiters.push({ match, resolve, reject });
      settle();
    });
  return {
    child,
    logLine,
    /** The URL from `Benchtop ready at <url>`. */
    ready: async () => String((await logLine((l) => /^Benchtop ready at /.test(l.msg ?? ''))).url),
  };
}

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  assert.ok(res.ok, `${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface RunView {
  status?: string;
  files?: string[];
  live?: { state: string; progress: { done: number } };
}

/** Polls the run until `done` points are taken (bounded: 100 ms apart, 90 s at most). */
async function untilPoints(url: string, uid: string, done: number): Promise<void> {
  let last: RunView | undefined;
  for (let i = 0; i < 900; i++) {
    last = await api<RunView>(url, 'GET', `/api/v1/runs/${uid}`);
    if ((last.live?.progress.done ?? 0) >= done) return;
    assert.notEqual(last.live?.state, 'finished', `run ended early: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`run ${uid} never reached ${done} points: ${JSON.stringify(last)}`);
}

/** The file holds at least the flushed events, as the server published them. */
function assertFlushedEvents(file: RunFileReader, events: RunEvent[]): void {
  const seq = file.values('/entry/data/seq_num');
  assert.ok(seq.length >= FLUSHED, `${seq.length} events in the file, expected at least ${FLUSHED}`);
  assert.deepEqual(
    seq.slice(0, FLUSHED),
    events.map((e) => e.seq_num),
  );
  assert.deepEqual(
    file.values('/entry/data/time').slice(0, FLUSHED),
    events.map((e) => e.time),
  );
  for (const key of Object.keys(events[0]!.data)) {
    assert.deepEqual(
      file.values(`/entry/data/${fieldName(key)}`).slice(0, FLUSHED),
      events.map((e) => e.data[key]),
      key,
    );
  }
}

describe('a Benchtop process killed with SIGKILL in the middle of a run', () => {
  const config = writeConfig();
  let uid = '';
  /** The run file, relative to output_dir. */
  let relative = '';
  let path = '';
  let events: RunEvent[] = [];
  let second: ReturnType<typeof startBenchtop> | undefined;
  let secondUrl = '';

  it('leaves an HDF5 file that opens and holds every event flushed before the kill', async () => {
    const first = startBenchtop(config);
    const url = await first.ready();
    ({ uid } = await api<{ uid: string }>(url, 'POST', '/api/v1/runs', {
      plan: 'time_series',
      args: { signals: SIGNALS, interval_s: 0.05, duration_s: 3600 },
      metadata: { purpose: 'crash test' },
    }));
    // Each time_series point starts with a checkpoint that flushes the file, so once point
    // FLUSHED + 1 exists, events 1..FLUSHED were on disk before it was taken.
    await untilPoints(url, uid, FLUSHED + 1);
    const documents = async (name: string, limit: number) =>
      (
        await api<{ doc: unknown }[]>(url, 'GET', `/api/v1/runs/${uid}/documents?name=${name}&limit=${limit}`)
      ).map((d) => d.doc);
    events = (await documents('event', FLUSHED)) as RunEvent[];
    assert.equal(events.length, FLUSHED);
    relative = runFileName((await documents('start', 1))[0] as RunStart);
    path = join(outputDir, relative);

    first.child.kill('SIGKILL');
    const [, signal] = await once(first.child, 'exit');
    assert.equal(signal, 'SIGKILL');

    // As the killed writer left it: still marked open for SWMR writing, so SWMR readers open it.
    const file = await RunFileReader.open(path, 'swmr');
    try {
      assertFlushedEvents(file, events);
      assert.equal(file.scalar('/entry/uid'), uid);
      assert.equal(file.has('/entry/end_time'), false, 'the run never ended');
    } finally {
      file.close();
    }
  });

  it('h5py reads it in SWMR mode', { skip: !hasH5py() && 'python3-h5py is not installed' }, () => {
    const read = spawnSync(
      PYTHON,
      [
        '-c',
        "import h5py, sys; f = h5py.File(sys.argv[1], 'r', swmr=True); d = f['entry/data/seq_num']; print(len(d), d[:int(sys.argv[2])].tolist())",
        path,
        String(FLUSHED),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(read.status, 0, read.stderr);
    const [count, ...seq] = read.stdout.trim().split(' ');
    assert.ok(Number(count) >= FLUSHED, `h5py sees ${count} events`);
    assert.deepEqual(
      JSON.parse(seq.join(' ')),
      events.map((e) => e.seq_num),
    );
  });

  it(
    'h5dump -H shows its structure once the write mark is cleared (h5clear -s), on a copy',
    {
      skip: !hasCommand('h5dump') && 'hdf5-tools (h5dump) is not installed',
    },
    () => {
      // h5dump has no SWMR mode, so it refuses the file as the killed writer left it.
      assert.notEqual(spawnSync('h5dump', ['-H', path]).status, 0);
      const copy = join(root, 'recovered.h5');
      copyFileSync(path, copy);
      assert.equal(recoverRunFile(copy).wasOpenForWrite, true);
      const dump = spawnSync('h5dump', ['-H', copy], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, /GROUP "entry"/);
      const seqNum =
        /DATASET "seq_num" \{\s+DATATYPE\s+H5T_STD_I64LE\s+DATASPACE\s+SIMPLE \{ \( (\d+) \) \//.exec(
          dump.stdout,
        );
      assert.ok(seqNum && Number(seqNum[1]) >= FLUSHED, `h5dump sees ${seqNum?.[1]} events`);
    },
  );

  it('the next Benchtop on the same output_dir marks the run interrupted', async () => {
    second = startBenchtop(config);
    const marked = await second.logLine((l) => Array.isArray(l.runs) && l.runs.includes(uid));
    assert.equal(marked.level, 'warn', 'logged as a warning');
    secondUrl = await second.ready();
    const record = await api<RunView>(secondUrl, 'GET', `/api/v1/runs/${uid}`);
    assert.equal(record.status, 'interrupted');
    assert.equal(record.live, undefined);
  });

  it(
    'the restart made the run file itself readable by plain HDF5 tools',
    {
      skip: !hasCommand('h5dump') && 'hdf5-tools (h5dump) is not installed',
    },
    () => {
      const dump = spawnSync('h5dump', ['-H', path], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, /GROUP "entry"/);
    },
  );

  it('what survived exports to CSV, values as the server published them', async () => {
    const reader = await openRunDataReader({ uid, format: 'hdf5', files: [relative] }, outputDir, {
      hdf5: openHdf5Run,
    });
    const out = join(root, 'export');
    try {
      await exportRun({ reader, format: 'csv', destDir: out });
    } finally {
      await reader.close();
    }
    assertExportedEvents(readFileSync(join(out, 'primary.csv'), 'utf8'), events);
  });

  it('the interrupted run lists its file, so it downloads and exports from the server', async () => {
    const record = await api<RunView>(secondUrl, 'GET', `/api/v1/runs/${uid}`);
    assert.deepEqual(record.files, [relative]);
    const out = join(root, 'export-remote');
    await exportRemoteCommand(new ApiClient({ url: secondUrl }), uid, 'csv', out, {
      out: { write: () => true } as unknown as NodeJS.WritableStream,
      err: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    assertExportedEvents(readFileSync(join(out, 'primary.csv'), 'utf8'), events);
  });

  it('the restarted Benchtop stops cleanly on SIGTERM', async () => {
    assert.ok(second, 'the second Benchtop was started');
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    assert.equal(code, 0);
  });
});

/** The CSV export's first rows are the flushed events: seq_num and every value. */
function assertExportedEvents(csv: string, published: RunEvent[]): void {
  const rows = csv.trimEnd().split('\r\n');
  assert.ok(rows.length - 1 >= FLUSHED, `${rows.length - 1} rows exported`);
  const header = rows[0]!.split(',');
  rows.slice(1, FLUSHED + 1).forEach((row, i) => {
    const cells = row.split(',');
    assert.equal(cells[0], String(published[i]!.seq_num));
    for (const [key, value] of Object.entries(published[i]!.data)) {
      const column = header.findIndex((h) => h === key || h.startsWith(`${key} [`));
      assert.ok(column > 1, `a column for ${key}`);
      assert.equal(Number(cells[column]), value, `${key} of row ${i + 1}`);
    }
  });
}
