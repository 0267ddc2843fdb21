import type { ErrorCode } from '../../core/errors.ts';
import type { AnalysisParameters } from './analysis-parameters.ts';
import type { FourierMaps, ReadOutOptions } from './fourier-accumulator.ts';
import type { Grid } from './morphology/image.ts';
import type { SumsSnapshot } from './online-fourier.ts';
import type { PositionAndSignInput, PositionAndSignMaps } from './position-and-sign-maps.ts';
import type { AreaSegmentation } from './segmentation/area-segmentation.ts';

/**
 * Messages between StageWorker (stage-worker-client.ts) and its thread (stage-worker.ts). Every
 * map travels as a typed array whose buffer is transferred, both ways: the caller sends copies
 * of its cached maps (one memcpy each), the worker gives its results away.
 */
export type StageRequest =
  /** Stage 1's read-out of one direction's sums (OnlineFourier.snapshot()). */
  | ({ id: number; stage: 'readOut'; options: ReadOutOptions } & SumsSnapshot)
  | ({ id: number; stage: 'maps' } & PositionAndSignInput)
  | {
      id: number;
      stage: 'segmentation';
      azimuth: Float64Array;
      altitude: Float64Array;
      grid: Grid;
      parameters: AnalysisParameters;
    };

/** An error thrown by a stage, as it crosses the thread boundary (Error subclasses do not). */
export interface StageError {
  name: string;
  message: string;
  /** Set for a BenchtopError. */
  code?: ErrorCode;
  details?: Record<string, unknown>;
}

export type StageReply =
  | { id: number; fourier: FourierMaps }
  | { id: number; maps: PositionAndSignMaps }
  | { id: number; segmentation: AreaSegmentation }
  | { id: number; error: StageError };
