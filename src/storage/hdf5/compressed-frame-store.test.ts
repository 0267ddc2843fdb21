import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CompressedFrameStore } from './compressed-frame-store.ts';
import { CompressedFramesReader } from './compressed-frames-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-frame-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const H = 16;
const W = 24;
const frame = (n: number) => Uint16Array.from({ length: H * W }, (_, i) => (n * 101 + i * 3) & 0xffff);

/** A store of one lz4 thread with room for two chunks. */
const twoChunkStore = (onError: (err: unknown) => void) =>
  new CompressedFrameStore({ codec: 'lz4', level: 0, directWrites: false, threads: 1, capacity: 2, onError });

describe('CompressedFrameStore', () => {
  it('refuses frames beyond its compressor queue, counts them, and writes the accepted ones in order', async () => {
    const errors: unknown[] = [];
    const store = twoChunkStore((err) => errors.push(err));
    const path = join(root, 'cam.frames.h5');
    store.open('cam', path, [H, W], { interpretation: 'image' });
    // Submitted in one synchronous burst: no chunk can come back before the queue is full.
    const accepted = [0, 1, 2, 3, 4].map((row) => store.submit('cam', row, frame(row)));
    assert.deepEqual(accepted, [true, true, false, false, false]);
    const queued = store.stats();
    assert.equal(queued?.overflow, 3);
    assert.equal(queued?.peak, 2);
    assert.equal(queued?.limitingStage, 'compressor', 'a refusal means the compressor is the limit');
    await store.drain();
    assert.equal(store.stats()?.queued, 0);
    store.extendTo('cam', 5);
    store.closeFiles();
    await store.stop();
    assert.deepEqual(errors, []);

    const reader = CompressedFramesReader.open(path);
    try {
      assert.deepEqual(reader.shape, [5, H, W]);
      const rows = reader.rows(0, 5);
      const at = (row: number) => rows.subarray(row * H * W, (row + 1) * H * W);
      assert.deepEqual(at(0), frame(0));
      assert.deepEqual(at(1), frame(1));
      for (const refused of [2, 3, 4])
        assert.ok(
          at(refused).every((v) => v === 0),
          `row ${refused} empty`,
        );
    } finally {
      reader.close();
    }
  });

  it('room() is null while the compressor queue has room, else resolves once a chunk is written', async () => {
    const store = twoChunkStore((err) => assert.fail(String(err)));
    store.open('cam', join(root, 'room.frames.h5'), [H, W], { interpretation: 'image' });
    assert.equal(store.room(), null, 'nothing submitted yet');
    assert.ok(store.submit('cam', 0, frame(0)));
    assert.equal(store.room(), null, 'one of two taken');
    assert.ok(store.submit('cam', 1, frame(1)));
    const room = store.room();
    assert.ok(room, 'full: a promise');
    await room;
    assert.ok((store.stats()?.queued ?? 0) < 2, 'room means a slot is free');
    assert.equal(store.room(), null);
    assert.ok(store.submit('cam', 2, frame(2)));
    await store.drain();
    store.closeFiles();
    await store.stop();
  });
});
