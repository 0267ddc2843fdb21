import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultAnalysisParameters } from './analysis-parameters.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineRetinotopy } from './online-retinotopy.ts';
import { StageWorker } from './stage-worker-client.ts';

const pool = new FourierWorkerPool(2);
const stages = new StageWorker();
after(() => Promise.all([pool.close(), stages.close()]));

describe('OnlineRetinotopy', () => {
  it('bins large frames, starts a direction at its timing, and leaves an axis NaN until both its directions are swept', async () => {
    const online = new OnlineRetinotopy(pool, stages, { maxSide: 4 });
    const width = 8;
    const height = 4;
    const timing = { startUs: 0, periodS: 10, sweepS: 10, cycles: 2, startDeg: -50, endDeg: 50 };
    // Frames before a direction has its timing are not used.
    online.addFrame('LR', new Uint16Array(width * height).fill(9), width, height, 0);
    online.setTiming('LR', { ...timing });
    // Each 2 × 2 block of camera pixels shares one phase: block column k has phase k/2.
    for (let n = 0; n < 200; n++) {
      const t = n * 0.1;
      const frame = new Uint16Array(width * height);
      for (let r = 0; r < height; r++)
        for (let c = 0; c < width; c++)
          frame[r * width + c] = Math.round(
            1000 - 100 * Math.cos((2 * Math.PI * t) / 10 - Math.floor(c / 2) / 2),
          );
      online.addFrame('LR', frame, width, height, t * 1e6);
      // The caller may give the buffer away at once.
      structuredClone(frame.buffer, { transfer: [frame.buffer] });
    }
    const results = await online.results(defaultAnalysisParameters());
    assert.ok(results?.maps);
    assert.deepEqual(results.grid, { width: 4, height: 2 });
    assert.equal(online.framesPerDirection().LR, 200);
    const phase = results.maps.fourier.LR.phase;
    for (let k = 0; k < 4; k++)
      assert.ok(Math.abs((phase[k] as number) - k / 2) < 0.01, `block ${k}: ${phase[k]}`);
    // Only LR swept: neither axis has both directions yet.
    assert.ok(results.azimuth.every(Number.isNaN));
    assert.ok(results.altitude.every(Number.isNaN));
    assert.ok(results.maps.rawVfs.every((v) => v === 0));
    assert.deepEqual(results.segmentation.areas, []);
  });
});
