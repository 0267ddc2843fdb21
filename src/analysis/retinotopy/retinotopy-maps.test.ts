import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { gaussianFilter } from './morphology/smoothing-filters.ts';
import { computeRetinotopyMaps, type RetinotopyMaps } from './retinotopy-maps.ts';
import {
  type SyntheticOptions,
  syntheticSession,
  trueAltitude,
  trueAzimuth,
} from './test-support/synthetic-session.ts';
import { visualFieldSign } from './visual-field-sign.ts';

const pool = new FourierWorkerPool(2);
after(() => pool.close());

const W = 24;
const H = 20;

function errors(maps: RetinotopyMaps): { azMax: number; altMax: number; azRms: number; altRms: number } {
  let azMax = 0;
  let altMax = 0;
  let az2 = 0;
  let alt2 = 0;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = r * W + c;
      const ea = (maps.azimuth[i] as number) - trueAzimuth(c, W);
      const el = (maps.altitude[i] as number) - trueAltitude(r, H);
      azMax = Math.max(azMax, Math.abs(ea));
      altMax = Math.max(altMax, Math.abs(el));
      az2 += ea * ea;
      alt2 += el * el;
    }
  }
  return { azMax, altMax, azRms: Math.sqrt(az2 / (W * H)), altRms: Math.sqrt(alt2 / (W * H)) };
}

const base: SyntheticOptions = { width: W, height: H, jitterUs: 5000, dropRate: 0.03, delayS: 1.5 };

async function analyse(o: SyntheticOptions, extra: Parameters<typeof computeRetinotopyMaps>[2] = {}) {
  return computeRetinotopyMaps(pool, syntheticSession(o), extra);
}

describe('retinotopy stages 1–3 on the synthetic session of retinotopy.md §4', () => {
  it('recovers azimuth, altitude and delay noise-free (5 ms jitter, dropped frames, gaps), VFS = +1', async () => {
    const maps = await analyse({ ...base, gapS: 5 });
    const e = errors(maps);
    assert.ok(e.azMax < 0.01, `azimuth max error ${e.azMax}°`);
    assert.ok(e.altMax < 0.01, `altitude max error ${e.altMax}°`);
    const expectedDelayLR = (2 * Math.PI * 1.5) / (15.7 + 5);
    for (const d of maps.azimuthDelay) assert.ok(Math.abs(d - expectedDelayLR) < 1e-3, `delay ${d}`);
    for (const v of maps.rawVfs) assert.ok(v > 0.9999, `VFS ${v}`);
    // The phase wraps inside the field: some neighbours in LR's phase map differ by almost 2π.
    const phase = maps.fourier.LR.phase;
    let wraps = 0;
    for (let i = 0; i + 1 < phase.length; i++) {
      if ((i + 1) % W !== 0 && Math.abs((phase[i + 1] as number) - (phase[i] as number)) > Math.PI) wraps++;
    }
    assert.ok(wraps >= H, `expected a phase wrap inside the field (found ${wraps} wrapping neighbours)`);
  });

  it('handles a recording that is not whole cycles (9.6 recorded, 9 analysed)', async () => {
    const maps = await analyse({ ...base, recordedCycles: 9.6 });
    assert.equal(maps.fourier.LR.frames > 0, true);
    const e = errors(maps);
    assert.ok(e.azMax < 0.01 && e.altMax < 0.01, JSON.stringify(e));
  });

  it('handles delays near 0 and near half a period', async () => {
    for (const delayS of [0.2, 6]) {
      const e = errors(await analyse({ ...base, delayS }));
      assert.ok(e.azMax < 0.01 && e.altMax < 0.01, `delay ${delayS} s: ${JSON.stringify(e)}`);
    }
  });

  it('with noise σ = 2e-3·B on uint16 frames stays within the reference RMS (~1.1° azimuth)', async () => {
    const maps = await analyse({ ...base, uint16: true, noise: 2e-3, gapS: 5 });
    const e = errors(maps);
    assert.ok(e.azRms < 1.6, `azimuth RMS ${e.azRms}°`);
    assert.ok(e.altRms < 1.3, `altitude RMS ${e.altRms}°`);
    assert.ok(e.azRms > 0.2, 'noise must show in the error, or the noise was not applied');
    const meanVfs = maps.rawVfs.reduce((s, v) => s + v, 0) / maps.rawVfs.length;
    assert.ok(meanVfs > 0.5, `mean raw VFS ${meanVfs}`);
    // After σ = 3 smoothing of the maps the sign is ≈ +1 across the field (§4).
    const grid = { width: W, height: H };
    const smoothed = visualFieldSign(
      gaussianFilter(maps.azimuth, grid, 3),
      gaussianFilter(maps.altitude, grid, 3),
      W,
      H,
    );
    const meanSmoothed = smoothed.reduce((s, v) => s + v, 0) / smoothed.length;
    assert.ok(meanSmoothed > 0.95, `mean smoothed VFS ${meanSmoothed}`);
  });

  it('the camera-flip switch reverses the sign', async () => {
    const maps = await analyse(base, { cameraFlip: true });
    for (const v of maps.rawVfs) assert.ok(v < -0.9999, `VFS ${v}`);
  });

  it('gives the same maps from 1 chunk or 50 (streaming equals batch)', async () => {
    const o = { ...base, uint16: true, noise: 2e-3 };
    const frames = syntheticSession(o).LR.frameCount;
    const one = await analyse(o, { chunkFrames: frames });
    const fifty = await analyse(o, { chunkFrames: Math.ceil(frames / 50) });
    assert.deepEqual(fifty.azimuth, one.azimuth);
    // Chunks of 3 frames take the frame-by-frame loop (the live path): still the same sums.
    const threes = await analyse(o, { chunkFrames: 3 });
    assert.deepEqual(threes.azimuth, one.azimuth);
    assert.deepEqual(threes.fourier.RL.magnitude, one.fourier.RL.magnitude);
    assert.deepEqual(fifty.altitude, one.altitude);
    assert.deepEqual(fifty.fourier.TB.coherence, one.fourier.TB.coherence);
    assert.deepEqual(fifty.rawVfs, one.rawVfs);
  });
});
