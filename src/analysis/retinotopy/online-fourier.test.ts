import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import type { SweepTiming } from './sweep-timing.ts';

const pool = new FourierWorkerPool(2);
after(() => pool.close());

const timing: SweepTiming = { startUs: 1e6, periodS: 10, sweepS: 10, cycles: 3, startDeg: -50, endDeg: 50 };

/** G = Σ (x̄ − xₙ)·e^{iωtₙ} computed directly from a whole movie (the definition). */
function directG(movie: number[][], times: number[], f: number): { re: number; im: number }[] {
  const pixels = movie[0]?.length ?? 0;
  const out = [];
  for (let p = 0; p < pixels; p++) {
    const xbar = movie.reduce((s, fr) => s + (fr[p] as number), 0) / movie.length;
    let re = 0;
    let im = 0;
    movie.forEach((fr, k) => {
      const a = 2 * Math.PI * f * (times[k] as number);
      re += (xbar - (fr[p] as number)) * Math.cos(a);
      im += (xbar - (fr[p] as number)) * Math.sin(a);
    });
    out.push({ re, im });
  }
  return out;
}

describe('OnlineFourier', () => {
  it('equals the definition of G on irregular timestamps, skipping frames outside the whole cycles', async () => {
    const width = 5;
    const height = 3;
    const stamps: number[] = [];
    for (let t = 0.3e6; t < 35e6; t += 97_000 + ((stamps.length * 7919) % 23_000)) stamps.push(t);
    const movie = stamps.map((_, k) =>
      Array.from({ length: width * height }, (_, p) => 100 + ((k * 31 + p * 17) % 50)),
    );
    const fourier = new OnlineFourier(pool, width, height, timing);
    const flat = new Uint16Array(movie.flat());
    await fourier.addFrames(flat, stamps);
    const inWindow = stamps.map((s, k) => [s, k] as const).filter(([s]) => s >= 1e6 && s < 31e6);
    const want = directG(
      inWindow.map(([, k]) => movie[k] as number[]),
      inWindow.map(([s]) => (s - 1e6) / 1e6),
      0.1,
    );
    const maps = await fourier.maps({ leakageCorrection: false });
    assert.equal(maps.frames, inWindow.length);
    want.forEach((g, p) => {
      assert.ok(Math.abs((maps.phase[p] as number) - Math.atan2(g.im, g.re)) < 1e-9, `phase of pixel ${p}`);
      assert.ok(
        Math.abs((maps.magnitude[p] as number) - (2 * Math.hypot(g.re, g.im)) / inWindow.length) < 1e-9,
      );
    });
  });

  it('gives phase φ, amplitude A, ΔR/R = A/B and coherence 1 for a pure sinusoid x = B − A·cos(ωt − φ)', async () => {
    const fourier = new OnlineFourier(pool, 2, 1, timing);
    const phis = [2.5, -1];
    const stamps = Array.from({ length: 300 }, (_, k) => 1e6 + k * 100_000);
    const frames = new Float64Array(stamps.length * 2);
    stamps.forEach((s, k) => {
      const t = (s - 1e6) / 1e6;
      phis.forEach((phi, p) => {
        frames[k * 2 + p] = 1000 - 3 * Math.cos(2 * Math.PI * 0.1 * t - phi);
      });
    });
    await fourier.addFrames(frames, stamps);
    const maps = await fourier.maps();
    phis.forEach((phi, p) => {
      assert.ok(Math.abs((maps.phase[p] as number) - phi) < 1e-9);
      assert.ok(Math.abs((maps.magnitude[p] as number) - 3) < 1e-9);
      assert.ok(Math.abs((maps.deltaROverR[p] as number) - 3e-3) < 1e-9);
      assert.ok(Math.abs((maps.coherence[p] as number) - 1) < 1e-9);
    });
  });

  it('live: frames pushed one at a time without waiting (each buffer given away at once) give the batch maps, and early maps already point the right way', async () => {
    const width = 3;
    const height = 2;
    const stamps = Array.from({ length: 300 }, (_, k) => 1e6 + k * 100_000 + ((k * 37) % 11) * 1000);
    const frames = new Uint16Array(stamps.length * width * height);
    stamps.forEach((s, k) => {
      const t = (s - 1e6) / 1e6;
      for (let p = 0; p < width * height; p++) {
        frames[k * width * height + p] = Math.round(1000 - 20 * Math.cos(2 * Math.PI * 0.1 * t - p));
      }
    });
    const batch = new OnlineFourier(pool, width, height, timing);
    await batch.addFrames(frames, stamps);
    const live = new OnlineFourier(pool, width, height, timing);
    const pending: Promise<void>[] = [];
    let early: Awaited<ReturnType<OnlineFourier['maps']>> | undefined;
    for (let k = 0; k < stamps.length; k++) {
      const pixels = width * height;
      const frame = frames.slice(k * pixels, (k + 1) * pixels);
      pending.push(live.addFrames(frame, [stamps[k] as number]));
      // As the recorder does: the buffer goes to the file writer's thread straight away.
      structuredClone(frame.buffer, { transfer: [frame.buffer] });
      assert.equal(frame.length, 0);
      if (k === 100) early = await live.maps();
    }
    await Promise.all(pending);
    const [a, b] = [await live.maps(), await batch.maps()];
    assert.deepEqual(a.phase, b.phase);
    assert.deepEqual(a.coherence, b.coherence);
    assert.equal(early?.frames, 101);
    for (let p = 0; p < width * height; p++) {
      const err = Math.abs(
        Math.atan2(Math.sin((early?.phase[p] as number) - p), Math.cos((early?.phase[p] as number) - p)),
      );
      assert.ok(err < 0.05, `pixel ${p}: phase after one cycle is off by ${err}`);
    }
  });
});
