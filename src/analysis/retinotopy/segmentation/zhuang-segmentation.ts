import type { AnalysisParameters } from '../analysis-parameters.ts';
import { binaryClosing, binaryDilation, binaryOpening } from '../morphology/binary-morphology.ts';
import type { Grid } from '../morphology/image.ts';
import { labelComponents } from '../morphology/label-components.ts';
import { skeletonize } from '../morphology/skeletonize.ts';
import { gaussianFilter, uniformFilter } from '../morphology/smoothing-filters.ts';
import { gradient, visualFieldSign } from '../visual-field-sign.ts';
import { eccentricityMap, patchVisualCenter } from './eccentricity.ts';
import { mergePatches } from './merge-patches.ts';
import { maskOfLabel, onCrop, overlaps, type Patch, patchArea, sumOver } from './patch.ts';
import { localMinima, splitPatch } from './split-patch.ts';
import { visualCoverage } from './visual-coverage.ts';

/**
 * Area segmentation of Zhuang et al. 2017 in the order of the Allen Institute's
 * `retinotopic_mapping` (RetinotopicMapping.py: _getSignMap, _getRawPatchMap, _getRawPatches,
 * _getDeterminantMap, _getEccentricityMap, _splitPatches, _mergePatches); retinotopy.md §7.
 * Maps in degrees; returns the final patches, largest first.
 */
export interface SegmentationStages {
  altitudeFiltered: Float64Array;
  azimuthFiltered: Float64Array;
  signMap: Float64Array;
  signMapFiltered: Float64Array;
  /** |det| of the Jacobian of (alt, azi) per pixel: AS = Σ over a patch. */
  determinant: Float64Array;
  patches: Patch[];
}

type ZhuangParameters = Pick<
  AnalysisParameters,
  | 'camera_flip'
  | 'phase_map_sigma'
  | 'sign_map_sigma'
  | 'sign_map_threshold'
  | 'ecc_map_size'
  | 'split_cut_step'
  | 'split_ratio'
  | 'merge_overlap'
  | 'open_iter'
  | 'close_iter'
  | 'dilation_iter'
  | 'border_width'
  | 'small_patch_px'
  | 'visual_space_pixel_deg'
  | 'visual_space_close_iter'
>;

/** Steps 3: threshold, open, then close each patch on its own. */
function rawPatchMap(signMapFiltered: Float64Array, grid: Grid, p: ZhuangParameters): Uint8Array {
  const thresholded = Uint8Array.from(signMapFiltered, (v) => (Math.abs(v) >= p.sign_map_threshold ? 1 : 0));
  const opened = binaryOpening(thresholded, grid, p.open_iter);
  const { labels, count } = labelComponents(opened, grid);
  const out = new Uint8Array(opened.length);
  for (let label = 1; label <= count; label++) {
    const closed = onCrop(maskOfLabel(labels, label), grid, p.close_iter + 1, (m, g) =>
      binaryClosing(m, g, p.close_iter),
    );
    for (let i = 0; i < out.length; i++) if (closed[i]) out[i] = 1;
  }
  return out;
}

/** Step 4 (Allen dilationPatches2): grow the patches until only a skeleton border separates them. */
function dilatedPatchMap(raw: Uint8Array, grid: Grid, p: ZhuangParameters): Uint8Array {
  const total = binaryDilation(raw, grid, p.dilation_iter);
  let border = skeletonize(
    Uint8Array.from(total, (v, i) => (v && !raw[i] ? 1 : 0)),
    grid,
  );
  if (p.border_width > 1) border = binaryDilation(border, grid, p.border_width - 1);
  const { labels, count } = labelComponents(
    Uint8Array.from(total, (v, i) => (v && !border[i] ? 1 : 0)),
    grid,
  );
  // Keep the pieces that hold raw patch pixels (one pass, whatever the number of pieces).
  const keep = new Uint8Array(count + 1);
  for (let i = 0; i < raw.length; i++) if (raw[i]) keep[labels[i] as number] = 1;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < out.length; i++) out[i] = keep[labels[i] as number] as number;
  return out;
}

/** Step 5 (labelPatches + small and isolated patch removal). */
function labelledPatches(
  map: Uint8Array,
  signMapFiltered: Float64Array,
  grid: Grid,
  p: ZhuangParameters,
): Patch[] {
  const { labels, count } = labelComponents(map, grid);
  const all: Patch[] = [];
  for (let label = 1; label <= count; label++) {
    const mask = maskOfLabel(labels, label);
    const s = sumOver(mask, signMapFiltered);
    // The Allen code refuses a patch with no sign; such a patch carries no area either way.
    if (s !== 0) all.push({ mask, sign: s > 0 ? 1 : -1 });
  }
  const big = all.filter((patch) => patchArea(patch.mask) >= p.small_patch_px);
  const reach = 2 * p.border_width;
  const grown = big.map((patch) =>
    onCrop(patch.mask, grid, reach + 1, (m, g) => binaryDilation(m, g, reach)),
  );
  return sortByArea(
    big.filter((_, i) => big.some((other, j) => j !== i && overlaps(grown[i] as Uint8Array, other.mask))),
  );
}

function sortByArea(patches: Patch[]): Patch[] {
  return patches
    .map((patch) => ({ patch, area: patchArea(patch.mask) }))
    .sort((a, b) => b.area - a.area)
    .map((x) => x.patch);
}

export function determinantMap(altitude: Float64Array, azimuth: Float64Array, grid: Grid): Float64Array {
  const alt = gradient(altitude, grid.width, grid.height);
  const azi = gradient(azimuth, grid.width, grid.height);
  return altitude.map((_, i) =>
    Math.abs(
      (alt.dRow[i] as number) * (azi.dCol[i] as number) - (alt.dCol[i] as number) * (azi.dRow[i] as number),
    ),
  );
}

/** Steps 6–7: split patches that cover the same part of the visual field more than once. */
function splitPatches(
  patches: Patch[],
  altitude: Float64Array,
  azimuth: Float64Array,
  determinant: Float64Array,
  grid: Grid,
  p: ZhuangParameters,
): Patch[] {
  const out: Patch[] = [];
  for (const patch of patches) {
    const au = visualCoverage(
      patch.mask,
      altitude,
      azimuth,
      p.visual_space_pixel_deg,
      p.visual_space_close_iter,
    ).area;
    const as = sumOver(patch.mask, determinant);
    if (as / au < p.split_ratio) {
      out.push(patch);
      continue;
    }
    const [altC, aziC] = patchVisualCenter(patch.mask, altitude, azimuth);
    const ecc = uniformFilter(eccentricityMap(altitude, azimuth, altC, aziC), grid, p.ecc_map_size);
    const patchEcc = ecc.map((v, i) => (patch.mask[i] ? v : Number.NaN));
    const minima = localMinima(patchEcc, grid, p.split_cut_step);
    if (minima.count <= 1) out.push(patch);
    else out.push(...splitPatch(patch, patchEcc, minima.labels, grid, p.border_width));
  }
  return out;
}

export function zhuangSegmentation(
  azimuth: Float64Array,
  altitude: Float64Array,
  grid: Grid,
  p: ZhuangParameters,
): SegmentationStages {
  const altitudeFiltered = gaussianFilter(altitude, grid, p.phase_map_sigma);
  const azimuthFiltered = gaussianFilter(azimuth, grid, p.phase_map_sigma);
  const signMap = visualFieldSign(azimuthFiltered, altitudeFiltered, grid.width, grid.height, {
    cameraFlip: p.camera_flip,
  });
  const signMapFiltered = gaussianFilter(signMap, grid, p.sign_map_sigma);
  const raw = rawPatchMap(signMapFiltered, grid, p);
  const rawPatches = labelledPatches(dilatedPatchMap(raw, grid, p), signMapFiltered, grid, p);
  const determinant = determinantMap(altitudeFiltered, azimuthFiltered, grid);
  const split = splitPatches(rawPatches, altitudeFiltered, azimuthFiltered, determinant, grid, p);
  const merged = mergePatches(split, altitudeFiltered, azimuthFiltered, grid, {
    borderWidth: p.border_width,
    pixelDeg: p.visual_space_pixel_deg,
    closeIter: p.visual_space_close_iter,
    mergeOverlap: p.merge_overlap,
  });
  const patches = sortByArea(merged.filter((patch) => patchArea(patch.mask) >= p.small_patch_px));
  return { altitudeFiltered, azimuthFiltered, signMap, signMapFiltered, determinant, patches };
}
