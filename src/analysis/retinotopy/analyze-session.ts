import type { AnalysisParameters } from './analysis-parameters.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { RetinotopyAnalysis } from './retinotopy-analysis.ts';
import { assertSameFrameSize } from './retinotopy-maps.ts';
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
    assertSameFrameSize(session.recordings);
    const analysis = new RetinotopyAnalysis(pool, session.recordings);
    await analysis.accumulateAll(parameters.chunk_frames, onProgress);
    return await analysis.results(parameters);
  } finally {
    session.close();
    await pool.close();
  }
}
