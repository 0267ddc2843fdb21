import type { AnalysisParameters } from './analysis-parameters.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { computeRetinotopyMaps } from './retinotopy-maps.ts';
import { segmentAreas } from './segmentation/area-segmentation.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';
import { openGuideLayoutSession } from './session-files/guide-layout-session.ts';

/** Stages 1–4 for a session directory in the guide's layout. */
export async function analyzeGuideSession(
  dir: string,
  parameters: AnalysisParameters,
  onProgress?: (done: number, total: number) => void,
): Promise<AnalysisResults> {
  const session = await openGuideLayoutSession(dir);
  const pool = new FourierWorkerPool();
  try {
    const maps = await computeRetinotopyMaps(pool, session.recordings, {
      chunkFrames: parameters.chunk_frames,
      cameraFlip: parameters.camera_flip,
      coherenceThreshold: parameters.coherence_threshold,
      leakageCorrection: parameters.leakage_correction,
      ...(onProgress ? { onProgress } : {}),
    });
    const grid = { width: maps.width, height: maps.height };
    const segmentation = segmentAreas(maps.azimuth, maps.altitude, grid, parameters);
    return { grid, azimuth: maps.azimuth, altitude: maps.altitude, maps, segmentation, parameters };
  } finally {
    session.close();
    await pool.close();
  }
}
