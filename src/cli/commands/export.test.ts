import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ManualClock } from '../../core/clock.ts';
import type { RunDocument, RunStart } from '../../core/documents.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { ArrowRunWriter } from '../../storage/arrow/arrow-run-writer.ts';
import {
  cameraDescriptor,
  eventData,
  RUN_UID,
  syntheticFrame,
  syntheticRun,
} from '../../storage/arrow/synthetic-run.fixture.ts';
import type { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import { Hdf5RunWriter } from '../../storage/hdf5/hdf5-run-writer.ts';
import { ApiClient } from '../client/api-client.ts';
import { exportCommand, exportRemoteCommand } from './export.ts';

const execFileAsync = promisify(execFile);
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

const EVENTS = 40;
const FRAMES = 3;
const ARROW_UID = '7c1d0e2f-0000-4000-8000-00000000a770';
const RUNNING_UID = '7c1d0e2f-0000-4000-8000-0000000f1e1d';

function capture() {
  const text: string[] = [];
  const stream = { isTTY: false, write: (c: string) => text.push(c) > 0 } as unknown as NodeJS.WritableStream;
  return { text, stream };
}

function io() {
  const out = capture();
  const err = capture();
  return { out, err, io: { out: out.stream, err: err.stream } };
}

/** start, primary and camera descriptors, events with camera frames, stop. */
function documents(start: RunStart): { docs: RunDocument[]; frameAfter: Map<number, number> } {
  const run = syntheticRun(EVENTS);
  const docs: RunDocument[] = [
    { name: 'start', doc: start },
    { name: 'descriptor', doc: run.descriptor },
    { name: 'descriptor', doc: cameraDescriptor(4, 5) },
    ...run.events.map((doc): RunDocument => ({ name: 'event', doc })),
    { name: 'stop', doc: { ...run.stop, run_start: start.uid } },
  ];
  // Frame n goes after event n (document index 3 + n).
  return { docs, frameAfter: new Map(Array.from({ length: FRAMES }, (_, n) => [3 + n, n])) };
}

async function recordRun(
  catalog: RunCatalog,
  format: 'hdf5' | 'arrow',
  outputDir: string,
  start: RunStart,
): Promise<void> {
  const writer =
    format === 'hdf5'
      ? new Hdf5RunWriter({
          outputDir,
          compressionLevel: 4,
          cameraCompression: 'none',
          queueCapacity: 1000,
          autoFlushIntervalSecs: 60,
          clock: new ManualClock(),
        })
      : new ArrowRunWriter({ outputDir });
  const { docs, frameAfter } = documents(start);
  catalog.recordStart(start, format);
  docs.forEach((doc, i) => {
    writer.document(doc);
    const n = frameAfter.get(i);
    if (n !== undefined) writer.frame('image', syntheticFrame(n, 4, 5));
  });
  const { files } = await writer.close();
  const stop = docs.at(-1)!;
  if (stop.name === 'stop') catalog.recordStop(stop.doc, files);
}

let root: string;
let outputDir: string;
let bt: Benchtop;
let url: string;
let viewerKey: string;
let hdf5File: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'benchtop-export-cli-'));
  outputDir = join(root, 'data');
  const toml = `
[server]
port = 0
[security]
auth = "required"
[simulation]
enabled = false
[storage]
output_dir = "${outputDir}"
`;
  bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
  ({ url } = await bt.start());
  viewerKey = bt.security.createKey('export-test', 'viewer').key;
  const start = syntheticRun(EVENTS).start;
  await recordRun(bt.catalog, 'hdf5', outputDir, start);
  await recordRun(bt.catalog, 'arrow', outputDir, { ...start, uid: ARROW_UID });
  bt.catalog.recordStart({ ...start, uid: RUNNING_UID, time: start.time + 60 }, 'hdf5');
  hdf5File = join(outputDir, bt.catalog.get(RUN_UID)!.files[0]!);
});
after(async () => {
  await bt.stop();
  await rm(root, { recursive: true, force: true });
});

async function assertExportedRun(dir: string, format: 'csv' | 'parquet' | 'arrow'): Promise<void> {
  const files = (await readdir(dir)).sort();
  if (format === 'csv') {
    assert.deepEqual(files, ['camera.csv', 'primary.csv']);
    const lines = (await readFile(join(dir, 'primary.csv'), 'utf8')).split('\r\n');
    assert.equal(lines[0], 'seq_num,time,meter_power [W],counter [counts],shutter_open,mode');
    assert.equal(lines.length, EVENTS + 2, 'header, one line per event, and the final CRLF');
    assert.equal(lines[3]!.split(',')[2], String(eventData(2).meter_power));
    return;
  }
  assert.deepEqual(files, [`camera.${format}`, `camera_frames.${format}`, `primary.${format}`]);
  const read = async (name: string) => {
    const bytes = await readFile(join(dir, `${name}.${format}`));
    return tableFromIPC(format === 'arrow' ? bytes : readParquet(bytes).intoIPCStream());
  };
  const primary = await read('primary');
  assert.equal(primary.numRows, EVENTS);
  assert.equal(primary.schema.fields.find((f) => f.name === 'meter_power')!.metadata.get('units'), 'W');
  assert.equal(primary.get(5)!.toJSON().counter, BigInt(eventData(5).counter as number));
  const frames = await read('camera_frames');
  assert.equal(frames.numRows, FRAMES);
  assert.deepEqual(Array.from(frames.get(1)!.pixels.toArray()), Array.from(syntheticFrame(1, 4, 5).pixels));
}

describe('benchtop export of an HDF5 run from the local catalog', () => {
  for (const format of ['arrow', 'parquet', 'csv'] as const) {
    it(`converts it to ${format}, one file per stream, with a progress bar`, async () => {
      const out = join(root, `local-${format}`);
      const { out: stdout, err, io: streams } = io();
      const files = await exportCommand(bt.catalog, outputDir, RUN_UID, format, out, streams);
      assert.deepEqual(stdout.text.join(''), files.map((f) => `${f}\n`).join(''));
      await assertExportedRun(out, format);
      assert.match(err.text.join(''), new RegExp(`export ${format} \\[#+\\] 100%`));
      if (format === 'csv') {
        assert.match(err.text.join(''), /skipped camera_frames: CSV cannot hold image columns \(pixels\)/);
      }
    });
  }

  it('copies the file for --format hdf5, and refuses a run that is still running', async () => {
    const out = join(root, 'local-hdf5');
    const [copy] = await exportCommand(bt.catalog, outputDir, RUN_UID, 'hdf5', out, io().io);
    assert.deepEqual(await readFile(copy!), await readFile(hdf5File));
    await assert.rejects(exportCommand(bt.catalog, outputDir, RUNNING_UID, 'csv', out, io().io), (err) =>
      isBenchtopError(err, 'RUN_STATE_CONFLICT'),
    );
    await assert.rejects(
      exportCommand(bt.catalog, outputDir, ARROW_UID, 'hdf5', out, io().io),
      (err) => isBenchtopError(err, 'VALIDATION_FAILED') && err.details.stored === 'arrow',
    );
  });
});

describe('benchtop export --url: download from a running server, convert here', () => {
  const client = () => new ApiClient({ url, apiKey: viewerKey });

  it('downloads an HDF5 run and converts it to the same files a local export writes', async () => {
    for (const format of ['csv', 'parquet'] as const) {
      const out = join(root, `remote-${format}`);
      const { err, io: streams } = io();
      await exportRemoteCommand(client(), RUN_UID, format, out, streams);
      await assertExportedRun(out, format);
      assert.match(err.text.join(''), /download 2026\S+\.h5 \[#+\] 100%/);
      if (format === 'csv') {
        // Parquet files differ byte for byte between two writes (key-value order); CSV does not.
        for (const name of await readdir(out)) {
          const local = join(root, `local-${format}`, name);
          assert.equal(await readFile(join(out, name), 'utf8'), await readFile(local, 'utf8'), name);
        }
      }
    }
    const [copy] = await exportRemoteCommand(client(), RUN_UID, 'hdf5', join(root, 'remote-hdf5'), io().io);
    assert.deepEqual(await readFile(copy!), await readFile(hdf5File));
  });

  it('downloads an Arrow run (a directory of files) and converts it', async () => {
    const out = join(root, 'remote-arrow-run');
    await exportRemoteCommand(client(), ARROW_UID, 'arrow', out, io().io);
    await assertExportedRun(out, 'arrow');
  });

  it('sends the API key, and passes on the server’s error codes', async () => {
    const out = join(root, 'remote-refused');
    await assert.rejects(exportRemoteCommand(new ApiClient({ url }), RUN_UID, 'csv', out, io().io), (err) =>
      isBenchtopError(err, 'UNAUTHORIZED'),
    );
    await assert.rejects(exportRemoteCommand(client(), 'no-such-run', 'csv', out, io().io), (err) =>
      isBenchtopError(err, 'RUN_NOT_FOUND'),
    );
    await assert.rejects(exportRemoteCommand(client(), RUNNING_UID, 'csv', out, io().io), (err) =>
      isBenchtopError(err, 'RUN_STATE_CONFLICT'),
    );
    // Nothing half-downloaded is left behind.
    assert.deepEqual(await readdir(out).catch(() => []), []);
  });

  it('works from the command line with $BENCHTOP_API_KEY', async () => {
    const out = join(root, 'cli-remote');
    const { BENCHTOP_URL: _url, BENCHTOP_CONFIG: _config, ...env } = process.env;
    const { stdout } = await execFileAsync(
      process.execPath,
      [MAIN, 'export', RUN_UID, '--url', url, '--format', 'csv', '--out', out],
      { env: { ...env, BENCHTOP_API_KEY: viewerKey }, timeout: 60_000 },
    );
    assert.deepEqual(stdout.trim().split('\n').sort(), [join(out, 'camera.csv'), join(out, 'primary.csv')]);
    await assertExportedRun(out, 'csv');
  });
});
