import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Frame } from '../core/frame.ts';
import { readSession } from './isi-session-reader.ts';
import { IsiSessionWriter } from './isi-session-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));

const start = {
  session: 's',
  camera: 'cam',
  display: 'screen',
  startedAt: 1_700_000_000_000,
  parameters: { a: 1 },
};

function frame(n: number): Frame {
  const pixels = new Uint16Array(4 * 3).fill(n + 100);
  return {
    frameNumber: n,
    timestamp: start.startedAt + n * 10,
    width: 4,
    height: 3,
    pixels,
  } as unknown as Frame;
}

describe('IsiSessionWriter', () => {
  it('writes on its thread, transferring the pixels; a flush makes the growing file readable', async () => {
    const path = join(root, 'a.h5');
    const writer = await IsiSessionWriter.create(path, start);
    const f0 = frame(0);
    assert.equal(writer.appendCameraFrame('LR', f0), true);
    assert.equal(f0.pixels.byteLength, 0, 'the buffer went to the worker');
    writer.appendCameraFrame('LR', frame(1));
    await writer.flush();
    assert.equal(writer.framesWritten, 2);
    const growing = await readSession(path);
    assert.equal(growing.directions.LR!.camera.shape[0], 2);
    assert.deepEqual([...growing.directions.LR!.camera.sequence], [0n, 1n]);
    writer.appendCameraFrame('LR', frame(2));
    await writer.close({ stop_state: 'done' });
    const done = await readSession(path);
    assert.equal(done.attrs.stop_state, 'done');
    assert.deepEqual([...done.directions.LR!.camera.frames.slice(24)], new Array(12).fill(102));
  });

  it('refuses and counts camera frames beyond its queue', async () => {
    const writer = await IsiSessionWriter.create(join(root, 'b.h5'), start, 1);
    const accepted = [0, 1, 2, 3].map((n) => writer.appendCameraFrame('LR', frame(n)));
    // Nothing can have been reported written yet: the worker answers after this turn.
    assert.deepEqual(accepted, [true, false, false, false]);
    assert.equal(writer.framesRefused, 3);
    await writer.close({});
    const done = await readSession(join(root, 'b.h5'));
    assert.equal(done.directions.LR!.camera.shape[0], 1);
  });
});
