import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../core/frame.ts';
import { meanSignal, spotCentroid } from './pvcam-test-rig.ts';
import { NoiseTable, type RenderSetup, renderTestPattern, type SceneSample } from './test-pattern.ts';

const setup: RenderSetup = {
  roiX: 0,
  roiY: 0,
  width: 2048,
  height: 2048,
  binning: 1,
  bitDepth: 16,
  exposureMs: 5,
  biasAdu: 100,
  electronsPerAdu: 0.7,
  readNoiseE: 1.6,
  electronsPerWattSecond: 1.5e6,
};
const noise = new NoiseTable(1 << 16, 3);

function render(s: Partial<RenderSetup>, scene: Partial<SceneSample> = {}): Frame {
  const full = { ...setup, ...s };
  const pixels = new Uint16Array(full.width * full.height);
  noise.reseed(42);
  renderTestPattern(full, { shiftXPx: 0, shiftYPx: 0, intensityW: 2, ...scene }, noise, pixels);
  return {
    pixels,
    width: full.width,
    height: full.height,
    frameNumber: 1,
    timestamp: 0,
    bitDepth: full.bitDepth,
    exposureMs: full.exposureMs,
  };
}

const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} ± ${tol}`);

describe('test pattern', () => {
  it('puts the spot at the sensor centre and moves it by the stage shift', () => {
    const still = spotCentroid(render({}), 100);
    near(still.x, 1023.5, 0.2, 'x');
    near(still.y, 1023.5, 0.2, 'y');
    const moved = spotCentroid(render({}, { shiftXPx: 40, shiftYPx: -12.5 }), 100);
    near(moved.x, 1063.5, 0.2, 'shifted x');
    near(moved.y, 1011, 0.2, 'shifted y');
  });

  it('renders the ROI window of the sensor, binned', () => {
    const roi = spotCentroid(render({ roiX: 768, roiY: 896, width: 512, height: 256 }), 100);
    near(roi.x, 1023.5 - 768, 0.2, 'ROI x');
    near(roi.y, 1023.5 - 896, 0.2, 'ROI y');
    // Dimmer: a binned pixel sums the charge of four and would saturate at full power.
    const binned = render({ binning: 2, width: 1024, height: 1024 }, { intensityW: 0.5 });
    const c = spotCentroid(binned, 100);
    near(c.x, 511.5, 0.2, 'binned x');
    near(c.y, 511.5, 0.2, 'binned y');
    near(
      meanSignal(binned, 100) / meanSignal(render({}, { intensityW: 0.5 }), 100),
      4,
      0.05,
      'binned signal',
    );
  });

  it('scales with the light reaching the camera and shows only bias and read noise in the dark', () => {
    const ratio =
      meanSignal(render({}, { intensityW: 1 }), 100) / meanSignal(render({}, { intensityW: 0.25 }), 100);
    near(ratio, 4, 0.02, 'signal ratio');
    const dark = render({}, { intensityW: 0 });
    near(meanSignal(dark, 100), 0, 0.05, 'dark mean above bias');
    let sq = 0;
    for (const v of dark.pixels) sq += (v - 100) ** 2;
    near(Math.sqrt(sq / dark.pixels.length), 1.6 / 0.7, 0.1, 'read noise in ADU');
  });

  it('clips to the bit depth', () => {
    const bright = render(
      { bitDepth: 11, electronsPerAdu: 0.5, width: 256, height: 256, roiX: 896, roiY: 896 },
      { intensityW: 3 },
    );
    let max = 0;
    for (const v of bright.pixels) max = Math.max(max, v);
    assert.equal(max, 2047);
  });

  it('is repeatable for the same noise seed', () => {
    assert.deepEqual(render({ width: 64, height: 64 }).pixels, render({ width: 64, height: 64 }).pixels);
  });
});
