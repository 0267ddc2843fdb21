import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EventDescriptor, RunDocument, StreamDatum, StreamResource } from '../core/documents.ts';
import type { RunEngine } from './run-engine.ts';
import { DATUM_BATCH } from './run-output.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from './testing/fake-lab.ts';

function docs<N extends RunDocument['name']>(all: RunDocument[], name: N) {
  return all.filter((d) => d.name === name).map((d) => d.doc) as Extract<RunDocument, { name: N }>['doc'][];
}

/** Which writer row holds the frame of each seq_num, from the stream_datum documents. */
function rowsBySeq(datums: StreamDatum[]): Map<number, number> {
  const rows = new Map<number, number>();
  for (const d of datums) {
    assert.equal(d.indices.stop - d.indices.start, d.seq_nums.stop - d.seq_nums.start);
    for (let i = 0; i < d.seq_nums.stop - d.seq_nums.start; i++) {
      assert.equal(rows.has(d.seq_nums.start + i), false, 'each seq_num is referenced once');
      rows.set(d.seq_nums.start + i, d.indices.start + i);
    }
  }
  return rows;
}

let lab: FakeLab;
let engine: RunEngine;

beforeEach(async () => {
  lab = await fakeLab();
  engine = labEngine(lab, { recorder: lab.recorder });
});

afterEach(async () => {
  await engine.shutdown();
  await lab.stop();
});

describe('camera frames by reference', () => {
  it('camera_acquire: every frame to the writer, stream_datum rows matching the frames passed', async () => {
    const frames = DATUM_BATCH + 8;
    const { uid } = engine.submit('camera_acquire', { camera: 'camera', frames, exposure_ms: 5 });
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'success');
    assert.deepEqual(lab.camera.requests, [{ count: frames, exposureMs: 5, run: uid }]);

    const writer = lab.writers[0]!;
    const written = writer.documents;
    const [descriptor] = docs(written, 'descriptor') as EventDescriptor[];
    assert.deepEqual(descriptor!.data_keys.camera, {
      dtype: 'array',
      shape: [3, 4],
      source: 'camera.frames',
      dtype_numpy: '<u2',
      external: 'STREAM:',
    });
    const [resource] = docs(written, 'stream_resource') as StreamResource[];
    assert.equal(resource!.data_key, 'camera');
    assert.equal(resource!.run_start, uid);
    assert.equal(resource!.uri, 'memory://run');
    assert.deepEqual(resource!.parameters, { stream: 'primary', dataKey: 'camera', shape: [3, 4] });

    const events = docs(written, 'event');
    assert.equal(events.length, frames);
    assert.ok(events.every((e) => e.filled?.camera === false && !('camera' in e.data)));
    const datums = docs(written, 'stream_datum');
    assert.equal(datums.length, 2, `${DATUM_BATCH} frames per datum`);
    assert.ok(datums.every((d) => d.stream_resource === resource!.uid && d.descriptor === descriptor!.uid));
    assert.deepEqual(
      datums.map((d) => d.uid),
      [`${resource!.uid}/0`, `${resource!.uid}/1`],
    );

    assert.equal(writer.frames.length, frames);
    assert.ok(writer.frames.every((f) => f.dataKey === 'camera'));
    const rows = rowsBySeq(datums);
    for (const event of events) {
      const row = rows.get(event.seq_num)!;
      // The fake camera fills frame n with the value n, so the row proves which frame it is.
      assert.equal(writer.frames[row]!.frame.pixels[0], writer.frames[row]!.frame.frameNumber);
      assert.equal(event.timestamps.camera, writer.frames[row]!.frame.timestamp / 1000);
    }
    assert.equal(rows.size, frames);
    assert.deepEqual(info.num_events, { primary: frames });
  });

  it('camera_acquire for a duration stops on the lab clock', async () => {
    lab.camera.frameMs = 100;
    const { uid } = engine.submit('camera_acquire', { camera: 'camera', duration_s: 1, exposure_ms: 100 });
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 50);
    assert.equal(info.exit_status, 'success');
    assert.equal(info.num_events.primary, 9, 'frames at 100…900 ms; the one due at 1000 ms is past the end');
    assert.equal(lab.writers[0]!.frames.length, 9);
  });

  it('a camera as a detector snaps one frame per point, referenced beside the inline readings', async () => {
    const { uid } = engine.submit('count', { detectors: ['camera', 'meter.power'], num: 3 });
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'success');
    const writer = lab.writers[0]!;
    const events = docs(writer.documents, 'event');
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => typeof e.data['meter.power'] === 'number' && e.filled?.camera === false));
    assert.equal(writer.frames.length, 3);
    const rows = rowsBySeq(docs(writer.documents, 'stream_datum'));
    assert.deepEqual([...rows.entries()].sort(), [
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
  });

  it('a suspended acquisition resumes with only the frames still missing', async () => {
    lab.camera.frameMs = 10;
    let suspended = false;
    lab.bus.on('run.progress', (p) => {
      if (p.done === 5 && !suspended) {
        suspended = true;
        engine.suspend('door open');
      }
    });
    const { uid } = engine.submit('camera_acquire', { camera: 'camera', frames: 12, exposure_ms: 10 });
    await runClockUntil(
      lab.clock,
      lab.bus.once('run.state', (s) => s.state === 'suspended'),
    );
    engine.clearSuspension('door open');
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'success');
    assert.equal(info.num_events.primary, 12);
    assert.deepEqual(
      lab.camera.requests.map((r) => r.count),
      [12, 7],
    );
    const rows = rowsBySeq(docs(lab.writers[0]!.documents, 'stream_datum'));
    assert.equal(rows.size, 12);
    assert.equal(lab.writers[0]!.frames.length, 12);
  });
});
