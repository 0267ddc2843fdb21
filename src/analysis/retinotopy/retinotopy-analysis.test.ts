import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultAnalysisParameters } from './analysis-parameters.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { RetinotopyAnalysis } from './retinotopy-analysis.ts';
import { computeRetinotopyMaps } from './retinotopy-maps.ts';
import { StageWorker } from './stage-worker-client.ts';
import { syntheticSession } from './test-support/synthetic-session.ts';

const pool = new FourierWorkerPool(2);
const stages = new StageWorker();
after(() => Promise.all([pool.close(), stages.close()]));

describe('RetinotopyAnalysis (cached stages)', () => {
  it('a parameter change recomputes only the stages that depend on it, and never re-reads frames', async () => {
    const session = syntheticSession({ width: 16, height: 12, fps: 4, cycles: 3 });
    let reads = 0;
    for (const rec of Object.values(session)) {
      const read = rec.readFrames.bind(rec);
      rec.readFrames = (start, count) => {
        reads++;
        return read(start, count);
      };
    }
    const analysis = new RetinotopyAnalysis(pool, stages, session);
    await analysis.accumulateAll(32);
    const readsAfterAccumulation = reads;
    const p = { ...defaultAnalysisParameters(), small_patch_px: 10 };
    const first = await analysis.results(p);
    assert.deepEqual(analysis.runs, { readOut: 1, maps: 1, segmentation: 1 });
    await analysis.results({ ...p, sign_map_threshold: 0.3 });
    assert.deepEqual(analysis.runs, { readOut: 1, maps: 1, segmentation: 2 });
    const flipped = await analysis.results({ ...p, sign_map_threshold: 0.3, camera_flip: true });
    assert.deepEqual(analysis.runs, { readOut: 1, maps: 2, segmentation: 3 });
    await analysis.results({ ...p, sign_map_threshold: 0.3, camera_flip: true, coherence_threshold: 0.9 });
    assert.deepEqual(analysis.runs, { readOut: 1, maps: 3, segmentation: 3 });
    await analysis.results({ ...p, leakage_correction: false });
    assert.deepEqual(analysis.runs, { readOut: 2, maps: 4, segmentation: 4 });
    assert.equal(reads, readsAfterAccumulation);
    for (let i = 0; i < first.maps!.rawVfs.length; i++) {
      assert.equal(flipped.maps?.rawVfs[i], -(first.maps?.rawVfs[i] as number));
    }
    // Same maps as the one-shot pipeline.
    const direct = await computeRetinotopyMaps(pool, session, { chunkFrames: 7 });
    assert.deepEqual(first.azimuth, direct.azimuth);
  });
});
