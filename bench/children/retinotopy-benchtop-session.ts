import { DIRECTIONS } from '../../src/analysis/retinotopy/direction-recording.ts';
import { FourierWorkerPool } from '../../src/analysis/retinotopy/fourier-worker-pool.ts';
import { RetinotopyAnalysis } from '../../src/analysis/retinotopy/retinotopy-analysis.ts';
import { openBenchtopSession } from '../../src/analysis/retinotopy/session-files/benchtop-session.ts';
import { StageWorker } from '../../src/analysis/retinotopy/stage-worker-client.ts';
import { syntheticSession } from '../../src/analysis/retinotopy/test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../../src/analysis/retinotopy/test-support/write-benchtop-session.ts';

// Usage: retinotopy-benchtop-session.ts make PATH WIDTH HEIGHT FPS
//        retinotopy-benchtop-session.ts analyse PATH on|off CHUNK
// make: a session file as Benchtop records one (IsiSessionFile: SWMR, one uint16 frame a chunk,
// extensible array index), four directions of one sweep each. analyse: stage 1 of every
// direction (open the session, accumulate CHUNK frames at a time on a pool of one thread per
// core), the frames read by the workers straight from the file (on) or through h5wasm (off).
// Prints JSON: seconds (of which openSeconds opening the session), frames, and whether every
// direction was read directly.

const [command, path, ...rest] = process.argv.slice(2);
if (command === 'make') {
  const [width, height, fps] = rest.map(Number) as [number, number, number];
  await writeBenchtopSession(
    path as string,
    syntheticSession({ width, height, fps, cycles: 1, uint16: true }),
  );
  console.log(JSON.stringify({ path }));
} else {
  const [mode, chunkArg] = rest;
  const start = performance.now();
  const pool = new FourierWorkerPool();
  const session = await openBenchtopSession(path as string, { directReads: mode === 'on' });
  const openSeconds = (performance.now() - start) / 1000;
  try {
    // Stage 1 only: the stage worker is never started.
    const analysis = new RetinotopyAnalysis(pool, new StageWorker(), session.recordings);
    await analysis.accumulateAll(Number(chunkArg));
    const seconds = (performance.now() - start) / 1000;
    const frames = DIRECTIONS.reduce((n, d) => n + session.recordings[d].frameCount, 0);
    const direct = DIRECTIONS.every((d) => session.recordings[d].framesInFile);
    console.log(JSON.stringify({ seconds, openSeconds, frames, direct, threads: pool.size }));
  } finally {
    session.close();
    await pool.close();
  }
}
