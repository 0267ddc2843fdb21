import type { AnalysisParameters } from '../analysis-parameters.ts';
import type { Grid } from '../morphology/image.ts';
import { garrettSegmentation } from './garrett-segmentation.ts';
import { patchArea, sumOver } from './patch.ts';
import { visualCoverage } from './visual-coverage.ts';
import { type SegmentationStages, zhuangSegmentation } from './zhuang-segmentation.ts';

/** One row of the `areas` table. */
export interface AreaRow {
  label: number;
  areaPx: number;
  sign: 1 | -1;
  /** Visual coverage AU (deg²). */
  au: number;
  /** Jacobian area AS (deg²). */
  as: number;
}

export interface AreaSegmentation {
  /** int32 labels, 0 = no area; label k is the k-th largest area. */
  areaMap: Int32Array;
  /** 1 on the pixels of an area that touch another label or the outside. */
  boundaryMap: Uint8Array;
  areas: AreaRow[];
  signMap: Float64Array;
  signMapFiltered: Float64Array;
}

/** Stage 4: visual areas from azimuth and altitude maps (degrees). */
export function segmentAreas(
  azimuth: Float64Array,
  altitude: Float64Array,
  grid: Grid,
  parameters: AnalysisParameters,
): AreaSegmentation {
  const segment = parameters.method === 'garrett' ? garrettSegmentation : zhuangSegmentation;
  const stages: SegmentationStages = segment(azimuth, altitude, grid, parameters);
  const areaMap = new Int32Array(grid.width * grid.height);
  const areas: AreaRow[] = stages.patches.map((patch, k) => {
    for (let i = 0; i < areaMap.length; i++) if (patch.mask[i]) areaMap[i] = k + 1;
    return {
      label: k + 1,
      areaPx: patchArea(patch.mask),
      sign: patch.sign,
      au: visualCoverage(
        patch.mask,
        stages.altitudeFiltered,
        stages.azimuthFiltered,
        parameters.visual_space_pixel_deg,
        parameters.visual_space_close_iter,
      ).area,
      as: sumOver(patch.mask, stages.determinant),
    };
  });
  return {
    areaMap,
    boundaryMap: boundaries(areaMap, grid),
    areas,
    signMap: stages.signMap,
    signMapFiltered: stages.signMapFiltered,
  };
}

function boundaries(labels: Int32Array, { width, height }: Grid): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      const l = labels[i] as number;
      if (!l) continue;
      const differs = (rr: number, cc: number) =>
        rr < 0 || rr >= height || cc < 0 || cc >= width || labels[rr * width + cc] !== l;
      if (differs(r - 1, c) || differs(r + 1, c) || differs(r, c - 1) || differs(r, c + 1)) out[i] = 1;
    }
  }
  return out;
}
