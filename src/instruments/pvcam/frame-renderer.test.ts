import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, describe, it } from 'node:test';
import { defaultCortex } from '../../sim/cortex-model.ts';
import { FrameRenderer, type RenderedFrame } from './frame-renderer.ts';
import type { RenderSetup } from './test-pattern.ts';

const setup: RenderSetup = {
  roiX: 512,
  roiY: 512,
  width: 256,
  height: 128,
  binning: 1,
  bitDepth: 16,
  exposureMs: 5,
  biasAdu: 100,
  electronsPerAdu: 0.7,
  readNoiseE: 1.6,
  electronsPerWattSecond: 1.5e6,
};
const scene = { shiftXPx: 3, shiftYPx: -2, intensityW: 1 };

const renderers: FrameRenderer[] = [];
after(() => Promise.all(renderers.map((r) => r.close())));

/** A renderer whose frames are collected by number; `frames(n)` resolves once n have arrived. */
function collecting() {
  const got = new Map<number, RenderedFrame>();
  const order: number[] = [];
  let waiter: { count: number; resolve: () => void } | null = null;
  const renderer = FrameRenderer.spawn(7, {
    rendered(frame) {
      got.set(frame.frameNumber, frame);
      order.push(frame.frameNumber);
      if (waiter && got.size >= waiter.count) waiter.resolve();
    },
    failed(error) {
      throw error;
    },
  });
  renderers.push(renderer);
  const frames = (count: number) =>
    got.size >= count
      ? Promise.resolve(got)
      : new Promise<Map<number, RenderedFrame>>((resolve) => {
          waiter = { count, resolve: () => resolve(got) };
        });
  return { renderer, frames, order };
}

describe('FrameRenderer', () => {
  it('keeps one thread for a pixel rate one thread renders', async () => {
    const { renderer, frames } = collecting();
    renderer.setup(1, setup, 30); // 1 Mpx/s
    await renderer.ready();
    for (let n = 1; n <= 4; n++) renderer.render(1, n, scene);
    await frames(4);
    assert.equal(renderer.threads, 1);
  });

  it(
    'adds a second thread for a full sensor at 43 fps, and the frames it draws are the same pixels',
    { skip: availableParallelism() < 2 ? 'one core: one render thread' : false },
    async () => {
      const single = collecting();
      single.renderer.setup(1, setup, 30);
      const pooled = collecting();
      // The rate decides the threads; the frames themselves stay small to keep the test fast.
      pooled.renderer.setup(1, setup, (2048 * 2048 * 43) / (setup.width * setup.height));
      await Promise.all([single.renderer.ready(), pooled.renderer.ready()]);
      assert.equal(pooled.renderer.threads, 2);
      for (let n = 1; n <= 6; n++) {
        single.renderer.render(1, n, scene);
        pooled.renderer.render(1, n, scene);
      }
      const [one, two] = await Promise.all([single.frames(6), pooled.frames(6)]);
      for (let n = 1; n <= 6; n++) {
        assert.deepEqual(two.get(n)!.pixels, one.get(n)!.pixels, `frame ${n}`);
      }
      assert.deepEqual(
        [...pooled.order].sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6],
      );
    },
  );
});

describe('FrameRenderer cortex scene', () => {
  it('renders the cortex in the worker: a bar over a column darkens it by ΔR/R', async () => {
    const { renderer, frames } = collecting();
    const cortexSetup: RenderSetup = {
      ...setup,
      roiX: 0,
      roiY: 0,
      width: 60,
      height: 32,
      cortex: { ...defaultCortex, dRR: 0.05, sensorWidth: 60, sensorHeight: 32 },
    };
    // Column 9's azimuth: area 0 runs −40…40° over the first 20 columns.
    const azimuth = -40 + 80 * (9.5 / 20);
    renderer.setup(2, cortexSetup, 10);
    renderer.render(2, 1, { ...scene, cortex: { taps: [], illumination: 1 } });
    renderer.render(2, 2, {
      ...scene,
      cortex: { taps: [{ axis: 1, barDeg: azimuth, sigmaDeg: 2, weight: 1 }], illumination: 1 },
    });
    const got = await frames(2);
    const columnMean = (pixels: Uint16Array, column: number) => {
      let sum = 0;
      for (let row = 0; row < 32; row++) sum += pixels[row * 60 + column]! - setup.biasAdu;
      return sum / 32;
    };
    const dark = got.get(2)!.pixels;
    const rest = got.get(1)!.pixels;
    const under = columnMean(dark, 9) / columnMean(rest, 9);
    const far = columnMean(dark, 2) / columnMean(rest, 2);
    assert.ok(Math.abs(under - 0.95) < 0.01, `under the bar ${under}`);
    assert.ok(Math.abs(far - 1) < 0.01, `far from the bar ${far}`);
  });
});
