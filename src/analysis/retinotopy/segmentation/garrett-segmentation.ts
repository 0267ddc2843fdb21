import type { AnalysisParameters } from '../analysis-parameters.ts';
import {
  diskClosing,
  diskDilation,
  diskOpening,
  fillHoles,
  largestComponent,
} from '../morphology/disk-morphology.ts';
import type { Grid } from '../morphology/image.ts';
import { labelComponents } from '../morphology/label-components.ts';
import { gaussianFilter } from '../morphology/smoothing-filters.ts';
import { visualFieldSign } from '../visual-field-sign.ts';
import { mergePatches } from './merge-patches.ts';
import { maskOfLabel, type Patch, patchArea, sumOver } from './patch.ts';
import type { SegmentationStages } from './zhuang-segmentation.ts';
import { determinantMap } from './zhuang-segmentation.ts';

/**
 * The Garrett et al. 2014 variant (SNLC getMouseAreasX, retinotopy.md §3/§7): maps and VFS smoothed
 * with a σ = 3 Gaussian applied circularly (as its FFT convolution does), patches where
 * |VFS| > 1.5·std(VFS)/2, opened with a disk of 2, inside a cortex mask (the patches closed with a
 * disk of 10, holes filled, dilated by a disk of 3, largest component). Same-sign neighbours are
 * fused when their visual coverages overlap by less than 0.1 (the merge step with merge_overlap).
 * Not done: its split of patches by the 30° eccentricity criterion.
 */
const SIGMA = 3;

export function garrettSegmentation(
  azimuth: Float64Array,
  altitude: Float64Array,
  grid: Grid,
  p: AnalysisParameters,
): SegmentationStages {
  const azimuthFiltered = gaussianFilter(azimuth, grid, SIGMA, 4, 'wrap');
  const altitudeFiltered = gaussianFilter(altitude, grid, SIGMA, 4, 'wrap');
  const signMap = visualFieldSign(azimuthFiltered, altitudeFiltered, grid.width, grid.height, {
    cameraFlip: p.camera_flip,
  });
  const signMapFiltered = gaussianFilter(signMap, grid, SIGMA, 4, 'wrap');
  let mean = 0;
  for (const v of signMapFiltered) mean += v;
  mean /= signMapFiltered.length;
  let variance = 0;
  for (const v of signMapFiltered) variance += (v - mean) ** 2;
  const threshold = (1.5 * Math.sqrt(variance / signMapFiltered.length)) / 2;
  const thresholded = Uint8Array.from(signMapFiltered, (v) => (Math.abs(v) > threshold ? 1 : 0));
  const opened = diskOpening(thresholded, grid, 2);
  const cortex = largestComponent(
    diskDilation(fillHoles(diskClosing(opened, grid, 10), grid), grid, 3),
    grid,
  );
  const inside = Uint8Array.from(opened, (v, i) => (v && cortex[i] ? 1 : 0));
  const { labels, count } = labelComponents(inside, grid);
  const patches: Patch[] = [];
  for (let label = 1; label <= count; label++) {
    const mask = maskOfLabel(labels, label);
    const s = sumOver(mask, signMapFiltered);
    if (s !== 0 && patchArea(mask) >= p.small_patch_px) patches.push({ mask, sign: s > 0 ? 1 : -1 });
  }
  const fused = mergePatches(patches, altitudeFiltered, azimuthFiltered, grid, {
    borderWidth: p.border_width,
    pixelDeg: p.visual_space_pixel_deg,
    closeIter: p.visual_space_close_iter,
    mergeOverlap: p.merge_overlap,
  });
  return {
    altitudeFiltered,
    azimuthFiltered,
    signMap,
    signMapFiltered,
    determinant: determinantMap(altitudeFiltered, azimuthFiltered, grid),
    patches: fused
      .map((patch) => ({ patch, area: patchArea(patch.mask) }))
      .sort((a, b) => b.area - a.area)
      .map((x) => x.patch),
  };
}
