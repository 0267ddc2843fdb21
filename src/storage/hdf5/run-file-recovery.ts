import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { BenchtopError } from '../../core/errors.ts';

/**
 * Makes a run file whose writer died (SIGKILL, power cut) open like any other. While a writer
 * has it open, HDF5 marks the superblock "open for (SWMR) write"; HDF5 readers then refuse the
 * file unless they open it in SWMR mode (`h5py.File(p, 'r', swmr=True)`). This does what
 * `h5clear -s` does, without needing HDF5's tools: clear the mark and re-checksum the
 * superblock. If the file ends before the end-of-file address the superblock records (space
 * allocated but not yet written when the writer died), it is zero-extended to that address.
 *
 * Only for files no process is writing any more.
 */

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const FLAGS_OFFSET = 11;

export interface RecoveryResult {
  /** The file was marked open for writing (its writer never closed it). */
  wasOpenForWrite: boolean;
  /** Bytes of zeros appended to reach the recorded end of file. */
  extendedBy: number;
}

export function recoverRunFile(path: string): RecoveryResult {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const at = findSuperblock(fd, size);
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, at);
    const version = head[8] ?? 0;
    const offsetSize = head[9] ?? 0;
    if (version < 2) {
      // Superblocks v0/v1 carry no write mark (and no checksum): nothing to clear.
      return { wasOpenForWrite: false, extendedBy: 0 };
    }
    if (offsetSize !== 8 && offsetSize !== 4) throw invalid(path, `offset size ${offsetSize}`);
    const length = 12 + 4 * offsetSize;
    const block = Buffer.alloc(length + 4);
    readSync(fd, block, 0, block.length, at);
    if (lookup3(block.subarray(0, length)) !== block.readUInt32LE(length)) {
      throw invalid(path, 'superblock checksum does not match');
    }
    const wasOpenForWrite = block[FLAGS_OFFSET] !== 0;
    if (wasOpenForWrite) {
      block[FLAGS_OFFSET] = 0;
      block.writeUInt32LE(lookup3(block.subarray(0, length)), length);
      writeSync(fd, block, 0, block.length, at);
    }
    const readAddress = (i: number) =>
      offsetSize === 8 ? Number(block.readBigUInt64LE(12 + i * 8)) : block.readUInt32LE(12 + i * 4);
    const endOfFile = readAddress(0) + readAddress(2); // base address + end-of-file address
    const extendedBy = Math.max(0, endOfFile - size);
    if (extendedBy > 0) ftruncateSync(fd, endOfFile);
    return { wasOpenForWrite, extendedBy };
  } finally {
    closeSync(fd);
  }
}

/** The superblock sits at 0, or after a user block at 512, 1024, 2048, … */
function findSuperblock(fd: number, size: number): number {
  const probe = Buffer.alloc(8);
  for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
    readSync(fd, probe, 0, 8, at);
    if (SIGNATURE.every((b, i) => probe[i] === b)) return at;
  }
  throw new BenchtopError('STORAGE_ERROR', 'not an HDF5 file: no superblock signature found', {});
}

function invalid(path: string, what: string): BenchtopError {
  return new BenchtopError('STORAGE_ERROR', `${path}: unexpected HDF5 superblock (${what}); left unchanged`, {
    path,
  });
}

const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

const word = (bytes: Uint8Array, i: number) =>
  ((bytes[i] ?? 0) |
    ((bytes[i + 1] ?? 0) << 8) |
    ((bytes[i + 2] ?? 0) << 16) |
    ((bytes[i + 3] ?? 0) << 24)) >>>
  0;

/** Bob Jenkins' lookup3 `hashlittle`, the checksum HDF5 puts on superblocks v2+ (initval 0). */
export function lookup3(key: Uint8Array): number {
  let a = (0xdeadbeef + key.length) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  for (; key.length - k > 12; k += 12) {
    a = (a + word(key, k)) >>> 0;
    b = (b + word(key, k + 4)) >>> 0;
    c = (c + word(key, k + 8)) >>> 0;
    // mix(a, b, c)
    a = ((a - c) ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
  }
  if (key.length === k) return c;
  // The last 1..12 bytes, zero-padded: the same sums as hashlittle's fall-through switch.
  const tail = new Uint8Array(12);
  tail.set(key.subarray(k));
  a = (a + word(tail, 0)) >>> 0;
  b = (b + word(tail, 4)) >>> 0;
  c = (c + word(tail, 8)) >>> 0;
  // final(a, b, c)
  c = ((c ^ b) - rot(b, 14)) >>> 0;
  a = ((a ^ c) - rot(c, 11)) >>> 0;
  b = ((b ^ a) - rot(a, 25)) >>> 0;
  c = ((c ^ b) - rot(b, 16)) >>> 0;
  a = ((a ^ c) - rot(c, 4)) >>> 0;
  b = ((b ^ a) - rot(a, 14)) >>> 0;
  c = ((c ^ b) - rot(b, 24)) >>> 0;
  return c;
}
