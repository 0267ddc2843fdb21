/**
 * NumPy's .npy format (version 1.0), for the guide's `anatomical.npy`: the magic, a header dict
 * in Python literal syntax padded to a multiple of 64 bytes, then the C-order array data
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). Only what the
 * anatomical image needs: little-endian float32 or uint16, any shape.
 */

export type NpyArray =
  | { dtype: '<f4'; shape: number[]; data: Float32Array }
  | { dtype: '<u2'; shape: number[]; data: Uint16Array };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  const prefix = MAGIC.length + 2 + 2;
  header += ' '.repeat(63 - ((prefix + header.length) % 64));
  header += '\n';
  const headerBytes = new TextEncoder().encode(header);
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(prefix + headerBytes.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(data, prefix + headerBytes.length);
  return out;
}

export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error('not a .npy file (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new Error(`.npy header not understood: ${header.trim()}`);
  if (fortran === 'True') throw new Error('.npy in Fortran order is not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  // Copied out (a Node Buffer's slice would be a view): the data need not be aligned in the file.
  const raw = new Uint8Array(bytes.subarray(start + headerLength));
  if (descr === '<f4') {
    if (raw.byteLength < count * 4) throw new Error('.npy data shorter than its shape');
    return { dtype: '<f4', shape, data: new Float32Array(raw.buffer, 0, count) };
  }
  if (descr === '<u2') {
    if (raw.byteLength < count * 2) throw new Error('.npy data shorter than its shape');
    return { dtype: '<u2', shape, data: new Uint16Array(raw.buffer, 0, count) };
  }
  throw new Error(`.npy dtype ${descr} is not supported (float32 or uint16 little-endian)`);
}
