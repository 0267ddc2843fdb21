import { binaryClosing } from '../morphology/binary-morphology.ts';
import { onCrop } from './patch.ts';

/**
 * Visual coverage of a cortical patch (Allen `Patch.getVisualSpace`): the (alt, azi) of its pixels
 * binned on a grid alt −40…60°, azi −20…120° of `pixelDeg`, the binary image closed
 * `closeIter` times; AU = bins × pixelDeg².
 */
const ALT_RANGE = [-40, 60] as const;
const AZI_RANGE = [-20, 120] as const;

export interface VisualCoverage {
  space: Uint8Array;
  /** Unique visual area AU (deg²). */
  area: number;
}

export function visualCoverage(
  mask: Uint8Array,
  altitude: Float64Array,
  azimuth: Float64Array,
  pixelDeg: number,
  closeIter: number,
): VisualCoverage {
  const rows = Math.ceil((ALT_RANGE[1] - ALT_RANGE[0]) / pixelDeg);
  const cols = Math.ceil((AZI_RANGE[1] - AZI_RANGE[0]) / pixelDeg);
  let space: Uint8Array = new Uint8Array(rows * cols);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const alt = altitude[i] as number;
    const azi = azimuth[i] as number;
    if (alt < ALT_RANGE[0] || alt >= ALT_RANGE[1] || azi < AZI_RANGE[0] || azi >= AZI_RANGE[1]) continue;
    const r = Math.floor((alt - ALT_RANGE[0]) / pixelDeg);
    const c = Math.floor((azi - AZI_RANGE[0]) / pixelDeg);
    if (r < rows && c < cols) space[r * cols + c] = 1;
  }
  if (closeIter >= 1) {
    space = onCrop(space, { width: cols, height: rows }, closeIter + 1, (m, g) =>
      binaryClosing(m, g, closeIter),
    );
  }
  let bins = 0;
  for (let i = 0; i < space.length; i++) bins += space[i] as number;
  return { space, area: bins * pixelDeg * pixelDeg };
}

/** Area (deg²) of the bins both coverages hold. */
export function coverageOverlap(a: VisualCoverage, b: VisualCoverage, pixelDeg: number): number {
  let n = 0;
  for (let i = 0; i < a.space.length; i++) if (a.space[i] && b.space[i]) n++;
  return n * pixelDeg * pixelDeg;
}
