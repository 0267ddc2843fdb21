/**
 * HDF5's byte shuffle of 2-byte elements (all first bytes, then all second bytes) with
 * WebAssembly SIMD: 16 elements per step, two 16-byte loads, two i8x16.shuffle, two stores.
 * The JavaScript loop (chunk-codecs.ts `byteShuffle`) moves 4 elements per step and takes about
 * 4 ms a 2048 × 2048 frame; this takes about a third of that, copy into the module's memory
 * included. The shuffle is a plain byte permutation, so it is the same on any host byte order.
 *
 * Each thread has its own instance, whose memory grows to twice the largest chunk (16 MiB for a
 * full frame) and stays: the chunk is copied in, shuffled into the second half, and the codec
 * reads the result there.
 *
 * The module is written out here as bytes (no toolchain at build time). Its one function:
 *
 *   (func (export "shuffle2") (param $src i32) (param $low i32) (param $high i32) (param $groups i32)
 *     (block (loop
 *       (br_if 1 (i32.eqz (local.get $groups)))
 *       (v128.store (local.get $low)
 *         (i8x16.shuffle 0 2 4 … 30 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
 *       (v128.store (local.get $high)
 *         (i8x16.shuffle 1 3 5 … 31 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
 *       $src += 32, $low += 16, $high += 16, $groups -= 1
 *       (br 0))))
 */

const I32 = 0x7f;
const V128_LOAD = [0xfd, 0x00];
const V128_STORE = [0xfd, 0x0b];
const I8X16_SHUFFLE = [0xfd, 0x0d];
/** memarg: alignment 2^4 (a hint), then the offset. */
const memarg = (offset: number) => [0x04, offset];
const lanes = (first: number) => Array.from({ length: 16 }, (_, i) => first + 2 * i);
const localGet = (i: number) => [0x20, i];
const localSet = (i: number) => [0x21, i];
/** local += n, for 0 ≤ n < 64 (one byte of signed LEB128). */
const addTo = (local: number, n: number) => [...localGet(local), 0x41, n, 0x6a, ...localSet(local)];

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

function shuffledHalf(dstLocal: number, firstLane: number): number[] {
  return [
    ...localGet(dstLocal),
    ...localGet(0),
    ...V128_LOAD,
    ...memarg(0),
    ...localGet(0),
    ...V128_LOAD,
    ...memarg(16),
    ...I8X16_SHUFFLE,
    ...lanes(firstLane),
    ...V128_STORE,
    ...memarg(0),
  ];
}

/** Opcodes of the function body (a `0x40` after block/loop: it leaves nothing on the stack). */
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const I32_EQZ = [0x45];
const I32_DECREMENT = [0x41, 0x01, 0x6b]; // i32.const 1, i32.sub
const brIf = (depth: number) => [0x0d, depth];
const br = (depth: number) => [0x0c, depth];
const NO_LOCALS = [0x00];

const body = [
  ...NO_LOCALS,
  ...BLOCK,
  ...LOOP,
  ...localGet(3),
  ...I32_EQZ,
  ...brIf(1), // out of the block
  ...shuffledHalf(1, 0),
  ...shuffledHalf(2, 1),
  ...addTo(0, 32),
  ...addTo(1, 16),
  ...addTo(2, 16),
  ...localGet(3),
  ...I32_DECREMENT,
  ...localSet(3),
  ...br(0), // the loop again
  ...END, // loop
  ...END, // block
  ...END, // function
];

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const FUNC_TYPE = 0x60;
const EXPORT_FUNC = 0x00;
const EXPORT_MEMORY = 0x02;

const MODULE_BYTES = new Uint8Array([
  ...MAGIC_AND_VERSION,
  // one type: (i32, i32, i32, i32) -> ()
  ...section(1, [0x01, FUNC_TYPE, 0x04, I32, I32, I32, I32, 0x00]),
  // one function, of type 0
  ...section(3, [0x01, 0x00]),
  // one memory, at least one page, no maximum
  ...section(5, [0x01, 0x00, 0x01]),
  ...section(7, [0x02, ...name('memory'), EXPORT_MEMORY, 0x00, ...name('shuffle2'), EXPORT_FUNC, 0x00]),
  ...section(10, [0x01, ...leb(body.length), ...body]),
]);

const PAGE = 65536;
const ELEMENTS_PER_STEP = 16;

/** The little of the WebAssembly API used here (this project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface ShuffleModule {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  shuffle2(src: number, low: number, high: number, groups: number): void;
}

let instance: ShuffleModule | null | undefined;

/** This thread's instance, or null where WebAssembly SIMD is not available. */
function shuffleModule(): ShuffleModule | null {
  if (instance !== undefined) return instance;
  try {
    if (!wasm) throw new Error('no WebAssembly');
    const made = new wasm.Instance(new wasm.Module(MODULE_BYTES));
    instance = made.exports as unknown as ShuffleModule;
  } catch {
    instance = null;
  }
  return instance;
}

/**
 * The byte shuffle of `bytes` (2-byte elements, a ragged last byte kept as is) as a view of
 * this thread's WebAssembly memory, valid until the next call; null where WebAssembly SIMD is
 * not available (the caller shuffles in JavaScript).
 */
export function simdByteShuffle2(bytes: Uint8Array): Uint8Array | null {
  const module = shuffleModule();
  if (!module) return null;
  const size = bytes.byteLength;
  // Input at 0, output after it (16-byte aligned).
  const outAt = Math.ceil(size / 16) * 16;
  const needed = outAt + size;
  const { memory } = module;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
  const heap = new Uint8Array(memory.buffer);
  heap.set(bytes, 0);
  const n = size >>> 1;
  const groups = Math.floor(n / ELEMENTS_PER_STEP);
  module.shuffle2(0, outAt, outAt + n, groups);
  for (let i = groups * ELEMENTS_PER_STEP; i < n; i++) {
    heap[outAt + i] = heap[2 * i]!;
    heap[outAt + n + i] = heap[2 * i + 1]!;
  }
  if (size % 2 === 1) heap[outAt + size - 1] = heap[size - 1]!;
  return heap.subarray(outAt, outAt + size);
}
