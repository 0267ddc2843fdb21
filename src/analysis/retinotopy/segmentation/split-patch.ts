import { binaryDilation } from '../morphology/binary-morphology.ts';
import type { Grid } from '../morphology/image.ts';
import { labelComponents } from '../morphology/label-components.ts';
import { skeletonize } from '../morphology/skeletonize.ts';
import { watershed } from '../morphology/watershed.ts';
import { maskOfLabel, type Patch } from './patch.ts';

/**
 * Local minima of a patch's eccentricity map (Allen `localMin`): raise a cut from min − step in
 * `step` increments until the pixels below it fall into more than one (4-connected) component.
 * `ecc` is NaN outside the patch. Returns the labelled components at the last cut tried.
 */
export function localMinima(
  ecc: Float64Array,
  grid: Grid,
  step: number,
): { labels: Int32Array; count: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of ecc) {
    if (Number.isNaN(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  let result: { labels: Int32Array; count: number } = { labels: new Int32Array(ecc.length), count: 0 };
  if (!Number.isFinite(min)) return result;
  // numpy.arange(min − step, max + 2·step, step)
  const cuts = Math.ceil((max + 2 * step - (min - step)) / step);
  for (let i = 0; i < cuts && result.count <= 1; i++) {
    const cut = min - step + i * step;
    result = labelComponents(
      Uint8Array.from(ecc, (v) => (v <= cut ? 1 : 0)),
      grid,
    );
  }
  return result;
}

/**
 * Splits a patch along the watershed of its eccentricity map between its local minima (Allen
 * `Patch.split2`): the borders between the watershed regions are skeletonised, thickened to
 * borderWidth, and cut out of the patch. Returns the pieces (one or more).
 */
export function splitPatch(
  patch: Patch,
  ecc: Float64Array,
  minima: Int32Array,
  grid: Grid,
  borderWidth: number,
): Patch[] {
  const regions = watershed(ecc, minima, patch.mask, grid);
  const grown = binaryDilation(patch.mask, grid);
  const border = Uint8Array.from(grown, (v, i) => (v && !patch.mask[i] ? 1 : 0));
  let count = 0;
  for (const l of regions) count = Math.max(count, l);
  for (let label = 1; label <= count; label++) {
    const region = maskOfLabel(regions, label);
    const around = binaryDilation(region, grid);
    for (let i = 0; i < border.length; i++) if (around[i] && !region[i]) border[i] = 1;
  }
  let cut = skeletonize(border, grid);
  if (borderWidth > 1) cut = binaryDilation(cut, grid, borderWidth - 1);
  const pieces = labelComponents(
    Uint8Array.from(grown, (v, i) => (v && !cut[i] ? 1 : 0)),
    grid,
  );
  const out: Patch[] = [];
  for (let label = 1; label <= pieces.count; label++) {
    const mask = Uint8Array.from(pieces.labels, (l, i) => (l === label && patch.mask[i] ? 1 : 0));
    if (mask.some((v) => v)) out.push({ mask, sign: patch.sign });
  }
  return out;
}
