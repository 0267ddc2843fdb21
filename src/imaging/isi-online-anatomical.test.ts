import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { analysisLayer } from '../analysis/retinotopy/analysis-layers.ts';
import { defaultAnalysisParameters } from '../analysis/retinotopy/analysis-parameters.ts';
import type { AnatomicalSnapshot } from '../analysis/retinotopy/anatomical-on-grid.ts';
import { FourierWorkerPool } from '../analysis/retinotopy/fourier-worker-pool.ts';
import { StageWorker } from '../analysis/retinotopy/stage-worker-client.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { IsiOnlineMaps } from './isi-online-maps.ts';

const pool = new FourierWorkerPool(1);
const stages = new StageWorker();
after(() => Promise.all([pool.close(), stages.close()]));

// 600 × 300 frames are binned by 3 for the online maps (long side ≤ 256): a 200 × 100 grid.
const W = 600;
const H = 300;

function gradient(offset: number): AnatomicalSnapshot {
  const pixels = new Float32Array(W * H);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) pixels[r * W + c] = offset + 2 * c + 5 * r;
  return { width: W, height: H, pixels };
}

/** Online maps of an LR sweep that has had one camera frame, with `snapshot` as the rig's snapshot. */
function onlineMaps(snapshot: () => AnatomicalSnapshot | null): IsiOnlineMaps {
  const online = new IsiOnlineMaps({
    session: 's',
    analysis: 'isi/s.h5',
    pool,
    stages,
    bus: new EventBus<BenchtopEvents>(),
    clock: new ManualClock(),
    parameters: defaultAnalysisParameters,
    anatomical: snapshot,
  });
  online.begin({
    problems: [],
    refresh_hz: 60,
    frame_count: 60,
    segments: [{ phase: 'sweep', direction: 'LR', startFrame: 0, frames: 60 }],
  });
  online.stimulusFrames('LR', [
    { index: 0, direction: 'LR', phase: 'sweep', sweep: 0, barDeg: -40, presentedAt: 0 },
  ]);
  online.cameraFrame('LR', {
    pixels: new Uint16Array(W * H).fill(1000),
    width: W,
    height: H,
    frameNumber: 1,
    timestamp: 10,
    bitDepth: 16,
    exposureMs: 10,
  });
  return online;
}

test("the online maps' anatomical layer is the snapshot binned as the frames are, the latest one taken", async () => {
  let snapshot = gradient(100);
  const online = onlineMaps(() => snapshot);
  const p = defaultAnalysisParameters();
  let results = await online.results(p);
  assert.deepEqual(results?.grid, { width: 200, height: 100 });
  let layer = analysisLayer(results!, 'anatomical');
  assert.equal(layer.source, 'snapshot');
  // A 3 × 3 block of a linear gradient averages to its centre: column 3c + 1, row 3r + 1.
  for (let r = 0; r < 100; r += 7)
    for (let c = 0; c < 200; c += 11)
      assert.equal(layer.values[r * 200 + c], 100 + 2 * (3 * c + 1) + 5 * (3 * r + 1), `${r},${c}`);
  // A new capture during the recording replaces it.
  snapshot = gradient(5000);
  results = await online.results(p);
  layer = analysisLayer(results!, 'anatomical');
  assert.equal(layer.values[0], 5000 + 2 + 5);
});

test('without a snapshot the online anatomical layer is the mean frame', async () => {
  const online = onlineMaps(() => null);
  const results = await online.results(defaultAnalysisParameters());
  const layer = analysisLayer(results!, 'anatomical');
  assert.equal(layer.source, 'mean_frame');
  assert.equal(layer.values[0], 1000);
});
