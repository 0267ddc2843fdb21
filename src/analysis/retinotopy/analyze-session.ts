import { existsSync, statSync } from 'node:fs';
import { BenchtopError } from '../../core/errors.ts';
import type { AnalysisParameters } from './analysis-parameters.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { RetinotopyAnalysis } from './retinotopy-analysis.ts';
import { assertSameFrameSize } from './retinotopy-maps.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';
import { openBenchtopSession } from './session-files/benchtop-session.ts';
import { type GuideLayoutSession, openGuideLayoutSession } from './session-files/guide-layout-session.ts';
import { StageWorker } from './stage-worker-client.ts';

/**
 * A session as the analysis reads it: a directory is the imaging guide's layout, a file is one
 * Benchtop recorded (docs/isi-session-file.md).
 */
export async function openSession(path: string): Promise<GuideLayoutSession> {
  if (!existsSync(path)) {
    throw new BenchtopError(
      'NOT_FOUND',
      `${path} does not exist (a session file or a directory in the guide's layout)`,
      {
        session: path,
      },
    );
  }
  return statSync(path).isDirectory() ? openGuideLayoutSession(path) : openBenchtopSession(path);
}

/**
 * Stages 1–4 for a session file or a session directory in the guide's layout, on worker threads
 * (stage 1 in `pool`, stages 2–4 in `stages`); both are closed when it returns.
 */
export async function analyzeSession(
  path: string,
  parameters: AnalysisParameters,
  onProgress?: (done: number, total: number) => void,
  pool: FourierWorkerPool = new FourierWorkerPool(),
  stages: StageWorker = new StageWorker(),
): Promise<AnalysisResults> {
  let session: GuideLayoutSession | undefined;
  try {
    session = await openSession(path);
    assertSameFrameSize(session.recordings);
    const analysis = new RetinotopyAnalysis(pool, stages, session.recordings, session.anatomical);
    await analysis.accumulateAll(parameters.chunk_frames, onProgress);
    return await analysis.results(parameters);
  } finally {
    session?.close();
    await Promise.all([pool.close(), stages.close()]);
  }
}
