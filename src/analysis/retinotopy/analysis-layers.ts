import type { AnatomicalSource } from './anatomical-on-grid.ts';
import { DIRECTIONS, type Direction } from './direction-recording.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';

/** The layers a client can draw over the anatomical image (the guide's layer names). */
export const LAYER_NAMES = [
  'azimuth',
  'altitude',
  'raw_vfs',
  'coherence_vfs',
  'areas',
  'boundaries',
  'anatomical',
  ...DIRECTIONS.flatMap((d) => [`magnitude_${d}`, `coherence_${d}`, `phase_${d}`] as const),
] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

export interface Layer {
  name: LayerName;
  width: number;
  height: number;
  values: Float32Array;
  /** Finite range of the values (the default colour scale). */
  min: number;
  max: number;
  /** The anatomical layer only: the session's snapshot, or the mean frame when it has none. */
  source?: AnatomicalSource;
}

/** One layer of finished results as float32 values, row-major H × W. */
export function analysisLayer(results: AnalysisResults, name: LayerName): Layer {
  const { width, height } = results.grid;
  const maps = results.maps;
  const direct: Partial<Record<string, ArrayLike<number> | undefined>> = {
    azimuth: results.azimuth,
    altitude: results.altitude,
    raw_vfs: maps?.rawVfs,
    coherence_vfs: maps?.coherenceVfs,
    areas: results.segmentation.areaMap,
    boundaries: results.segmentation.boundaryMap,
    // The snapshot under green light; without one, the first direction's mean frame (the
    // cortex under the imaging light, vessels fainter).
    anatomical: results.snapshot ?? maps?.fourier.LR.mean,
  };
  let source = direct[name];
  const perDirection = /^(magnitude|coherence|phase)_(LR|RL|TB|BT)$/.exec(name);
  if (perDirection && maps) {
    const f = maps.fourier[perDirection[2] as Direction];
    source =
      perDirection[1] === 'magnitude' ? f.magnitude : perDirection[1] === 'coherence' ? f.coherence : f.phase;
  }
  const values = Float32Array.from(source ?? new Float32Array(width * height));
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) min = max = 0;
  const layer: Layer = { name, width, height, values, min, max };
  if (name === 'anatomical') layer.source = results.snapshot ? 'snapshot' : 'mean_frame';
  return layer;
}
