import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EmscriptenWriteFs, HeapWriteRedirect } from './heap-write-redirect.ts';

interface RecordedWrite {
  bytes: number[];
  position: number | undefined;
}

/** A module whose file layer records what it would have written, as Emscripten's NODERAWFS would. */
function fakeModule() {
  const heap = new Uint8Array(64);
  const written: RecordedWrite[] = [];
  const fs: EmscriptenWriteFs = {
    write(_stream, buffer, offset, length, position) {
      const view = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
      written.push({ bytes: Array.from(view), position });
      return length;
    },
  };
  return { module: { FS: fs, HEAPU8: heap }, fs, heap, written };
}

describe('HeapWriteRedirect', () => {
  it('serves a heap write of exactly the row length from the caller buffer', () => {
    const { module, fs, heap, written } = fakeModule();
    heap.fill(0xee); // the unfilled staging region HDF5 was handed
    const redirect = HeapWriteRedirect.of(module);
    const served = redirect.run(Uint8Array.of(1, 2, 3, 4), () => {
      fs.write(null, heap, 8, 4, 4096); // the chunk, from wherever HDF5 keeps it
      fs.write(null, heap, 0, 2, 0); // a metadata write: left alone
    });
    assert.equal(served, 1);
    assert.deepEqual(written, [
      { bytes: [1, 2, 3, 4], position: 4096 },
      { bytes: [0xee, 0xee], position: 0 },
    ]);
  });

  it('hands the chunk to a sink instead of the module file layer when given one', () => {
    const { module, fs, heap, written } = fakeModule();
    const sunk: RecordedWrite[] = [];
    const served = HeapWriteRedirect.of(module).run(
      Uint8Array.of(9, 8, 7),
      () => assert.equal(fs.write(null, heap, 3, 3, 12_345), 3, 'reports the whole length written'),
      (bytes, position) => sunk.push({ bytes: Array.from(bytes), position }),
    );
    assert.equal(served, 1);
    assert.deepEqual(sunk, [{ bytes: [9, 8, 7], position: 12_345 }]);
    assert.deepEqual(written, []);
  });

  it('falls back to the module file layer when the sink throws, so a failure reaches HDF5 as an errno', () => {
    const { module, fs, heap, written } = fakeModule();
    const served = HeapWriteRedirect.of(module).run(
      Uint8Array.of(4, 5, 6),
      () => fs.write(null, heap, 0, 3, 777),
      () => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    );
    assert.equal(served, 1);
    assert.deepEqual(written, [{ bytes: [4, 5, 6], position: 777 }]);
  });

  it('reports zero when HDF5 wrote the row some other way, so the caller rewrites it', () => {
    const { module, fs, heap, written } = fakeModule();
    const served = HeapWriteRedirect.of(module).run(Uint8Array.of(1, 2, 3, 4), () => {
      fs.write(null, heap, 0, 2, 100); // split in two halves
      fs.write(null, heap, 2, 2, 102);
    });
    assert.equal(served, 0);
    assert.equal(written.length, 2);
  });

  it('leaves writes outside run() and from buffers other than the heap untouched', () => {
    const { module, fs, heap, written } = fakeModule();
    const redirect = HeapWriteRedirect.of(module);
    fs.write(null, heap, 0, 4, 0);
    const other = Uint8Array.of(5, 5, 5, 5);
    const served = redirect.run(Uint8Array.of(1, 2, 3, 4), () => fs.write(null, other, 0, 4, 8));
    assert.equal(served, 0);
    assert.deepEqual(
      written.map((w) => w.bytes),
      [Array.from(heap.subarray(0, 4)), [5, 5, 5, 5]],
    );
    assert.equal(HeapWriteRedirect.of(module), redirect, 'installed once per module');
  });
});
