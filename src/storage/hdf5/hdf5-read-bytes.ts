/** Byte-level reading shared by the read-only walks of HDF5 structures (frame-file-offsets). */

/** HDF5's undefined address (all ones), as a double: 2^64 rounds to it, and no file is that big. */
export const UNDEFINED = 2 ** 64 - 1;

/** A structure the walk does not follow: the caller falls back to HDF5. */
export class Unsupported extends Error {}

/** The file's bytes at addresses relative to its base address (after any user block). */
export interface FileBytes {
  /** `length` bytes at `address`; throws Unsupported past the end of the file. */
  at(address: number, length: number): Uint8Array;
}

export function ascii(b: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...b.subarray(at, at + length));
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A little-endian 8-byte unsigned integer (exact below 2^53, which every offset is). */
export function u64(b: Uint8Array, at: number): number {
  const v = view(b);
  return v.getUint32(at + 4, true) * 2 ** 32 + v.getUint32(at, true);
}

/** A little-endian unsigned integer of `bytes` bytes (1–8). */
export function uintLE(b: Uint8Array, at: number, bytes: number): number {
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + (b[at + i] as number);
  return value;
}
