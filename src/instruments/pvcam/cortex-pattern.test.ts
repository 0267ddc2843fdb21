import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CortexOptions,
  cortexSample,
  defaultCortex,
  drive,
  retinotopyAt,
} from '../../sim/cortex-model.ts';
import { VisualStimulusTrace } from '../../sim/visual-stimulus-trace.ts';
import { type CortexSetup, cortexMaps, renderCortex } from './cortex-pattern.ts';
import { NoiseTable, type RenderSetup } from './test-pattern.ts';

describe('cortex retinotopy', () => {
  it('alternates field sign between areas with continuous maps', () => {
    const o = defaultCortex;
    assert.deepEqual(
      [0.1, 0.5, 0.9].map((u) => retinotopyAt(o, u, 0.5).fieldSign),
      [1, -1, 1],
    );
    // Across the first border azimuth meets at the band end (40°) from both sides.
    assert.ok(Math.abs(retinotopyAt(o, 1 / 3 - 1e-9, 0).azimuthDeg - 40) < 1e-6);
    assert.ok(Math.abs(retinotopyAt(o, 1 / 3 + 1e-9, 0).azimuthDeg - 40) < 1e-6);
    assert.equal(retinotopyAt(o, 0.5, 0).altitudeDeg, 30);
    assert.equal(retinotopyAt(o, 0.5, 1).altitudeDeg, -30);
  });

  it('is fully driven under the bar and not at all far from it', () => {
    const taps = [{ axis: 1 as const, barDeg: 10, sigmaDeg: 8, weight: 1 }];
    assert.equal(drive(taps, 10, 0), 1);
    assert.equal(drive(taps, 60, 0), 0);
  });
});

describe('cortex scene', () => {
  /** An LR sweep, 10°/s from −55° to 55° (110 frames at 10 Hz... here 60 Hz: 660 frames), bar 10°. */
  const refreshHz = 60;
  const sweepFrames = 660;
  const t0 = Date.UTC(2026, 0, 1, 12);
  const trace = new VisualStimulusTrace();
  for (let k = 0; k < sweepFrames; k++)
    trace.record(
      t0 + (k * 1000) / refreshHz,
      { coordinate: 'azimuth', barDeg: -55 + (110 * (k + 0.5)) / sweepFrames, widthDeg: 10 },
      1000 / refreshHz,
    );

  const cortex: CortexOptions = { ...defaultCortex, dRR: 0.05, driftFraction: 0 };
  const setup: RenderSetup = {
    roiX: 0,
    roiY: 0,
    width: 60,
    height: 32,
    binning: 1,
    bitDepth: 16,
    exposureMs: 50,
    biasAdu: 100,
    electronsPerAdu: 1,
    readNoiseE: 2,
    electronsPerWattSecond: 0,
  };
  const cortexSetup: CortexSetup = { ...cortex, sensorWidth: 60, sensorHeight: 32 };
  const maps = cortexMaps(setup, cortexSetup);
  const noise = new NoiseTable(1 << 16, 3);

  it('darkens a pixel column most when the bar crossed its azimuth one delay earlier', () => {
    const column = 9;
    const azimuth = maps.azimuth[column]!;
    const crossedAt = t0 + ((azimuth + 55) / 10) * 1000;
    const fps = 20;
    const levels: { t: number; level: number }[] = [];
    const pixels = new Uint16Array(setup.width * setup.height);
    for (let t = t0 - 1000; t < t0 + 14_000; t += 1000 / fps) {
      renderCortex(setup, cortexSetup, maps, cortexSample(cortex, trace, t, t0), noise, pixels);
      let sum = 0;
      // Divide out the vessels: their darkness does not move in time.
      for (let row = 0; row < setup.height; row++) {
        const i = row * setup.width + column;
        sum += (pixels[i]! - setup.biasAdu) / maps.vessels[i]!;
      }
      levels.push({ t, level: sum / setup.height });
    }
    const darkest = levels.reduce((a, b) => (b.level < a.level ? b : a));
    const baseline = levels[0]!.level;
    const expected = crossedAt + cortex.delayS * 1000;
    assert.ok(
      Math.abs(darkest.t - expected) <= 100,
      `darkest at ${darkest.t - t0} ms, expected ${expected - t0} ms`,
    );
    // A passing bar drives a pixel σ_bar/√(σ_bar² + (v·σ_hemo)²) of full drive: the bar's
    // tuning (FWHM 10°, σ 4.25°) smeared by the kernel (0.5 s at 10°/s = 5°) → 0.647 × ΔR/R.
    const sigmaBar = 10 / (2 * Math.sqrt(2 * Math.LN2));
    const peak = sigmaBar / Math.sqrt(sigmaBar ** 2 + 5 ** 2);
    const change = (baseline - darkest.level) / baseline;
    assert.ok(Math.abs(change - cortex.dRR * peak) < 0.1 * cortex.dRR * peak, `ΔR/R ${change}`);
  });

  it('changes the default reflectance by about 1e-3 as the bar passes', () => {
    // The bar crosses 0° at 5.5 s; the response peaks a delay later.
    const sample = cortexSample(defaultCortex, trace, t0 + 5500 + 1500, t0);
    const change = defaultCortex.dRR * drive(sample.taps, 0, 0);
    assert.ok(Math.abs(change - 1e-3) < 1e-4, `ΔR/R ${change}`);
  });
});
