import type { Grid } from '../morphology/image.ts';

/** One candidate visual area: a full-size 0/1 mask and its visual field sign. */
export interface Patch {
  mask: Uint8Array;
  sign: 1 | -1;
}

export function patchArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] as number;
  return n;
}

export function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] && b[i]) return true;
  return false;
}

export function maskOfLabel(labels: Int32Array, label: number): Uint8Array {
  return Uint8Array.from(labels, (l) => (l === label ? 1 : 0));
}

/** Σ of `values` over the mask. */
export function sumOver(mask: Uint8Array, values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s += values[i] as number;
  return s;
}

export type { Grid };
