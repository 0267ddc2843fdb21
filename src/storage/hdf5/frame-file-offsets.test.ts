import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { frameFileOffsets, int64ColumnInFile } from './frame-file-offsets.ts';

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('./test-support/write_frame_layouts.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'benchtop-frame-offsets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const written = spawnSync(PYTHON, [script, dir], { encoding: 'utf8' });
const h5pyMissing = written.status === 0 ? false : `h5py writer failed: ${written.stderr}`;
const listing: Record<string, [string, number, number, number, string]> = h5pyMissing
  ? {}
  : JSON.parse(written.stdout);

/** Frame t's pixel i as the writer stored it, read from the file at the offsets found. */
function assertFramesAt(name: string): void {
  const [path, frames, height, width] = listing[name]!;
  const found = frameFileOffsets(join(dir, name), path);
  assert.ok(found, `${name}: no offsets`);
  assert.deepEqual(found.shape, [frames, height, width]);
  const bytes = readFileSync(join(dir, name));
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < height * width; i++) {
      const at = (found.offsets[t] as number) + i * found.bytesPerElement;
      const value: number =
        found.element === 'float32'
          ? bytes.readFloatLE(at)
          : found.element === 'int16'
            ? bytes.readInt16LE(at)
            : bytes.readUInt16LE(at);
      const expected = (t * 31 + i) % 65536;
      assert.equal(
        value,
        found.element === 'int16' ? (expected << 16) >> 16 : expected,
        `${name} frame ${t} pixel ${i}`,
      );
    }
  }
}

describe('frameFileOffsets on files h5py wrote', { skip: h5pyMissing }, () => {
  it('finds a contiguous dataset', () => {
    assertFramesAt('contiguous.h5');
    assert.equal(frameFileOffsets(join(dir, 'contiguous.h5'), 'frames')?.element, 'uint16');
  });

  it('finds every chunk of one frame per chunk', () => assertFramesAt('one-per-chunk.h5'));

  it('finds the frames inside chunks of several frames, the last chunk partly past the end', () =>
    assertFramesAt('four-per-chunk.h5'));

  it('walks a chunk B-tree of more than one level in a nested group with many members', () =>
    assertFramesAt('deep-btree.h5'));

  it('reads the element type (float32, int16) and the 1.10 format (superblock 3, contiguous)', () => {
    assertFramesAt('float32.h5');
    assertFramesAt('int16-latest.h5');
    assert.equal(frameFileOffsets(join(dir, 'float32.h5'), 'frames')?.element, 'float32');
    assert.equal(frameFileOffsets(join(dir, 'int16-latest.h5'), 'g/frames')?.element, 'int16');
  });

  it('follows the 1.10 extensible array: index block, its data blocks, super blocks, paged data blocks', () => {
    // 133,300 chunks reach super block 13, whose data blocks are paged (see the writer).
    assertFramesAt('ea-one-per-chunk.h5');
    assertFramesAt('ea-three-per-chunk.h5');
  });

  it('follows the 1.10 fixed array (paged and not), single-chunk and implicit indexes', () => {
    for (const name of ['fa-paged.h5', 'fa-four-per-chunk.h5', 'single-chunk.h5', 'implicit.h5'])
      assertFramesAt(name);
  });

  it('declines what plain reads cannot give: compression, partial-frame chunks, big endian, unwritten chunks', () => {
    const declined = ['gzip.h5', 'half-frame-chunks.h5', 'big-endian.h5', 'unwritten-chunk.h5'];
    // 1.10 indexes: a chunk never written, the last chunks never written (past the highest
    // element set), a fixed-array page never written, compressed chunks, a version 2 B-tree.
    declined.push('ea-unwritten-middle.h5', 'ea-unwritten-tail.h5', 'fa-missing-page.h5');
    declined.push('ea-gzip.h5', 'btree2.h5');
    for (const name of declined) {
      assert.equal(frameFileOffsets(join(dir, name), listing[name]![0]), null, name);
    }
  });

  it('says null for a dataset that is not there', () => {
    assert.equal(frameFileOffsets(join(dir, 'contiguous.h5'), 'nothing'), null);
    assert.equal(frameFileOffsets(join(dir, 'deep-btree.h5'), 'camera/none/frames'), null);
  });

  it('reads a contiguous int64 column (timestamps) and declines other datasets', () => {
    for (const name of ['contiguous.h5', 'int16-latest.h5']) {
      const frames = listing[name]![1];
      const expected = BigInt64Array.from({ length: frames }, (_, t) => BigInt(1_000_000 + 33_333 * t));
      assert.deepEqual(int64ColumnInFile(join(dir, name), 'timestamps'), expected, name);
    }
    assert.equal(int64ColumnInFile(join(dir, 'contiguous.h5'), 'frames'), null);
  });
});
