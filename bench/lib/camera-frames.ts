import { writeFileSync } from 'node:fs';
import { NoiseTable, type RenderSetup, renderTestPattern } from '../../src/instruments/pvcam/test-pattern.ts';

/**
 * Realistic frames for the compression benchmark: the simulated Prime BSI's test pattern (grid,
 * spot, bars) with shot and read noise, 16-bit 2048 × 2048 in its HDR gain, the spot drifting
 * a little from frame to frame as under a stage. Compression ratios depend on the noise, so
 * frames of a synthetic ramp (bench/lib/frames.ts) would flatter every codec.
 */
export const REALISTIC_SETUP: RenderSetup = {
  roiX: 0,
  roiY: 0,
  width: 2048,
  height: 2048,
  binning: 1,
  bitDepth: 16,
  exposureMs: 20,
  biasAdu: 100,
  electronsPerAdu: 0.7,
  readNoiseE: 1.6,
  electronsPerWattSecond: 1.5e6,
};

/** Writes `count` distinct frames, concatenated little-endian uint16, to `path`. */
export function writeRealisticFrames(path: string, count: number): void {
  const noise = new NoiseTable(1 << 20, 20261202);
  const frames: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const pixels = new Uint16Array(REALISTIC_SETUP.width * REALISTIC_SETUP.height);
    noise.reseed(0x9e3779b1 ^ Math.imul(n + 1, 0x85ebca6b));
    renderTestPattern(
      REALISTIC_SETUP,
      { shiftXPx: n % 5, shiftYPx: -(n % 3), intensityW: 0.1 },
      noise,
      pixels,
    );
    frames.push(Buffer.from(pixels.buffer));
  }
  writeFileSync(path, Buffer.concat(frames));
}
