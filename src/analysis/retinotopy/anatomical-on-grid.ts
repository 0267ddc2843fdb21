import { blockMean } from './block-mean.ts';
import type { Grid } from './morphology/image.ts';

/** The anatomical snapshot a session holds (`/anatomical`, `anatomical.npy`): float32 counts, row-major. */
export interface AnatomicalSnapshot {
  width: number;
  height: number;
  pixels: Float32Array;
}

/** Where the anatomical layer comes from: the rig's snapshot, or the first direction's mean frame. */
export type AnatomicalSource = 'snapshot' | 'mean_frame';

/** The integer factor f whose ⌈size / f⌉ binning gives the grid on both axes, or 0 when none does. */
function binningFactor(snapshot: AnatomicalSnapshot, grid: Grid): number {
  const f = Math.ceil(snapshot.width / grid.width);
  return f >= 1 &&
    Math.ceil(snapshot.width / f) === grid.width &&
    Math.ceil(snapshot.height / f) === grid.height
    ? f
    : 0;
}

/**
 * The snapshot on the maps' grid. The same size: as it is. Larger by an integer binning (the
 * online maps of a large camera, or a snapshot taken unbinned): the block means that binning takes
 * (block-mean.ts), so each map pixel lies on the vessels it was computed from. Any other size
 * (another binning or ROI than the recording's): bilinear between pixel centres, stretched to
 * the grid.
 */
export function anatomicalOnGrid(snapshot: AnatomicalSnapshot, grid: Grid): Float32Array {
  const { width, height } = grid;
  const out = new Float32Array(width * height);
  const f = binningFactor(snapshot, grid);
  if (f === 1) {
    out.set(snapshot.pixels.subarray(0, out.length));
    return out;
  }
  if (f > 1) {
    for (let p = 0; p < out.length; p++)
      out[p] = blockMean(snapshot.pixels, 0, snapshot.width, snapshot.height, f, p);
    return out;
  }
  const sx = snapshot.width / width;
  const sy = snapshot.height / height;
  const px = snapshot.pixels;
  const at = (r: number, c: number) => px[r * snapshot.width + c] as number;
  for (let r = 0; r < height; r++) {
    const y = Math.min(Math.max((r + 0.5) * sy - 0.5, 0), snapshot.height - 1);
    const r0 = Math.floor(y);
    const r1 = Math.min(r0 + 1, snapshot.height - 1);
    const wy = y - r0;
    for (let c = 0; c < width; c++) {
      const x = Math.min(Math.max((c + 0.5) * sx - 0.5, 0), snapshot.width - 1);
      const c0 = Math.floor(x);
      const c1 = Math.min(c0 + 1, snapshot.width - 1);
      const wx = x - c0;
      const top = at(r0, c0) * (1 - wx) + at(r0, c1) * wx;
      const bottom = at(r1, c0) * (1 - wx) + at(r1, c1) * wx;
      out[r * width + c] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}
