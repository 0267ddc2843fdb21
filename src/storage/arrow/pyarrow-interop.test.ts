import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ArrowRunWriter } from './arrow-run-writer.ts';
import { cameraDescriptor, RUN_UID, syntheticFrame, syntheticRun } from './synthetic-run.fixture.ts';

const PYTHON = '/usr/bin/python3';
const hasPyarrow = spawnSync(PYTHON, ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0;

/** Reads what the writer wrote the way a pyarrow user would, and reports it as JSON. */
const SCRIPT = `
import json, sys
import pyarrow as pa
import pyarrow.ipc as ipc

events_path, frames_path, unclosed_path = sys.argv[1:4]
with pa.memory_map(events_path) as src:
    reader = ipc.open_file(src)
    batches = reader.num_record_batches
    table = reader.read_all()
with pa.memory_map(frames_path) as src:
    frames = ipc.open_file(src).read_all()
# A file whose writer was killed has no footer: its body, from byte 8, is an IPC stream.
with open(unclosed_path, 'rb') as fh:
    fh.seek(8)
    unclosed_rows = ipc.open_stream(fh).read_all().num_rows

print(json.dumps({
    'rows': table.num_rows,
    'batches': batches,
    'types': {name: str(table.schema.field(name).type) for name in table.schema.names},
    'units': table.schema.field('meter_power').metadata[b'units'].decode(),
    'source': table.schema.field('meter_power').metadata[b'source'].decode(),
    'run_uid': table.schema.metadata[b'benchtop.run_uid'].decode(),
    'last_seq_num': table.column('seq_num')[-1].as_py(),
    'mode_nulls': table.column('mode').null_count,
    'first_time_us': table.column('time').cast(pa.int64())[0].as_py(),
    'frames': frames.num_rows,
    'pixels_is_fixed_size_list': pa.types.is_fixed_size_list(frames.schema.field('pixels').type),
    'frame_1_pixels': frames.column('pixels')[1].as_py(),
    'unclosed_rows': unclosed_rows,
}))
`;

let root: string | undefined;
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('pyarrow reads what ArrowRunWriter writes', () => {
  it(
    'opens the stream and frames files, with types, metadata and values',
    {
      skip:
        !hasPyarrow &&
        'pyarrow is not installed for /usr/bin/python3 (Debian bookworm has no python3-pyarrow)',
    },
    async () => {
      root = await mkdtemp(join(tmpdir(), 'benchtop-pyarrow-'));
      const outputDir = join(root, 'data');
      const run = syntheticRun(1000);
      const writer = new ArrowRunWriter({ outputDir, queueCapacity: 2000, batchRows: 400 });
      writer.document({ name: 'start', doc: run.start });
      writer.document({ name: 'descriptor', doc: run.descriptor });
      writer.document({ name: 'descriptor', doc: cameraDescriptor(2, 3) });
      for (const doc of run.events) writer.document({ name: 'event', doc });
      for (let n = 0; n < 3; n++) writer.frame('image', syntheticFrame(n, 2, 3));
      await writer.flush();
      const [runDirName] = await readdir(outputDir);
      const runDir = join(outputDir, runDirName!);
      const unclosed = join(root, 'unclosed.arrow');
      await copyFile(join(runDir, 'primary.arrow'), unclosed);
      writer.document({ name: 'stop', doc: run.stop });
      await writer.close();

      const { stdout } = await promisify(execFile)(PYTHON, [
        '-c',
        SCRIPT,
        join(runDir, 'primary.arrow'),
        join(runDir, 'camera_frames.arrow'),
        unclosed,
      ]);
      const seen = JSON.parse(stdout);
      assert.deepEqual(seen, {
        rows: 1000,
        batches: 3,
        types: {
          seq_num: 'int64',
          time: 'timestamp[us, tz=UTC]',
          meter_power: 'double',
          counter: 'int64',
          shutter_open: 'bool',
          mode: 'string',
        },
        units: 'W',
        source: 'meter.power',
        run_uid: RUN_UID,
        last_seq_num: 1000,
        mode_nulls: 10,
        first_time_us: Math.round(run.events[0]!.time * 1e6),
        frames: 3,
        pixels_is_fixed_size_list: true,
        frame_1_pixels: Array.from(syntheticFrame(1, 2, 3).pixels),
        unclosed_rows: 1000,
      });
    },
  );
});
