import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { primeBsiExpress } from './camera-model.ts';
import { type CameraSettings, checkSettings, frameShape, frameTiming } from './camera-settings.ts';

const base: CameraSettings = {
  exposureMs: 10,
  roi: { x: 0, y: 0, width: 2048, height: 2048 },
  binning: 1,
  triggerMode: 'timed',
  clearMode: 'pre_sequence',
  readoutPort: 0,
  speedIndex: 0,
  gainIndex: 1,
};
const check = (s: Partial<CameraSettings>) => checkSettings('cam', primeBsiExpress, { ...base, ...s });
const rejects = (s: Partial<CameraSettings>, code: string, signal: string) =>
  assert.throws(
    () => check(s),
    (e) => isBenchtopError(e) && e.code === code && e.details.signal === signal,
    `${JSON.stringify(s)} → ${code} on ${signal}`,
  );

describe('camera settings', () => {
  it('accepts the full sensor and every table entry', () => {
    check({});
    check({ speedIndex: 1, gainIndex: 3, binning: 4, roi: { x: 100, y: 8, width: 1024, height: 512 } });
  });

  it('rejects an ROI that does not fit the sensor', () => {
    rejects({ roi: { x: 1024, y: 0, width: 2048, height: 2048 } }, 'VALUE_OUT_OF_RANGE', 'roi.width');
    rejects({ roi: { x: 0, y: 1, width: 2048, height: 2048 } }, 'VALUE_OUT_OF_RANGE', 'roi.height');
    rejects({ roi: { x: -1, y: 0, width: 16, height: 16 } }, 'VALUE_OUT_OF_RANGE', 'roi.x');
    rejects({ roi: { x: 0, y: 2048, width: 16, height: 16 } }, 'VALUE_OUT_OF_RANGE', 'roi.y');
    rejects({ roi: { x: 0, y: 0, width: 0, height: 16 } }, 'VALUE_OUT_OF_RANGE', 'roi.width');
    rejects({ roi: { x: 0.5, y: 0, width: 16, height: 16 } }, 'VALUE_INVALID', 'roi.x');
  });

  it('rejects a binning the sensor lacks and an ROI that is not a multiple of the binning', () => {
    rejects({ binning: 3 }, 'VALUE_OUT_OF_RANGE', 'binning');
    rejects({ binning: 4, roi: { x: 0, y: 0, width: 2046, height: 2048 } }, 'VALUE_INVALID', 'roi.width');
    rejects({ binning: 2, roi: { x: 0, y: 0, width: 16, height: 15 } }, 'VALUE_INVALID', 'roi.height');
    rejects({ binning: 4, roi: { x: 0, y: 0, width: 2, height: 16 } }, 'VALUE_OUT_OF_RANGE', 'roi.width');
  });

  it('checks port, speed and gain as a path through the readout table', () => {
    rejects({ readoutPort: 1 }, 'VALUE_OUT_OF_RANGE', 'readout_port');
    rejects({ speedIndex: 2 }, 'VALUE_OUT_OF_RANGE', 'speed_index');
    // Gain 3 exists at 11 bit but not in the 16-bit HDR mode.
    rejects({ gainIndex: 3 }, 'VALUE_OUT_OF_RANGE', 'gain_index');
    rejects({ speedIndex: 1, gainIndex: 0 }, 'VALUE_OUT_OF_RANGE', 'gain_index');
  });

  it('rejects an exposure outside the sensor limits', () => {
    rejects({ exposureMs: 0 }, 'VALUE_OUT_OF_RANGE', 'exposure_ms');
    rejects({ exposureMs: 10_001 }, 'VALUE_OUT_OF_RANGE', 'exposure_ms');
  });

  it('frames are the ROI divided by the binning', () => {
    assert.deepEqual(frameShape({ ...base, binning: 4, roi: { x: 8, y: 0, width: 1024, height: 512 } }), {
      width: 256,
      height: 128,
    });
  });
});

describe('frame timing', () => {
  const near = (actual: number, expected: number, tol: number, what: string) =>
    assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

  it('full frame at 16 bit is readout-limited near 43 fps, at 11 bit near 95 fps', () => {
    near(frameTiming(primeBsiExpress, { ...base, exposureMs: 1 }).frameRateFps, 43, 0.5, '16-bit');
    near(
      frameTiming(primeBsiExpress, { ...base, exposureMs: 1, speedIndex: 1 }).frameRateFps,
      95,
      0.5,
      '11-bit',
    );
  });

  it('a long exposure sets the rate: min(1/exposure, readout-limited)', () => {
    assert.equal(frameTiming(primeBsiExpress, { ...base, exposureMs: 50 }).frameRateFps, 20);
    const t = frameTiming(primeBsiExpress, { ...base, exposureMs: 100, speedIndex: 1, clearMode: 'never' });
    assert.equal(t.frameRateFps, 10);
    near(t.firstFrameMs, 100 + 10.527, 0.01, 'first frame = exposure + readout');
  });

  it('readout scales with the ROI height, not with the binning', () => {
    const full = frameTiming(primeBsiExpress, { ...base, exposureMs: 1 });
    const half = frameTiming(primeBsiExpress, {
      ...base,
      exposureMs: 1,
      roi: { x: 0, y: 0, width: 2048, height: 1024 },
    });
    near(half.readoutMs * 2, full.readoutMs, 1e-9, 'half the rows');
    const binned = frameTiming(primeBsiExpress, { ...base, exposureMs: 1, binning: 4 });
    assert.equal(binned.readoutMs, full.readoutMs);
  });

  it('a clear before every exposure lengthens the period; one before the sequence only the first frame', () => {
    const never = frameTiming(primeBsiExpress, { ...base, clearMode: 'never' });
    const perFrame = frameTiming(primeBsiExpress, { ...base, clearMode: 'pre_exposure' });
    const perSequence = frameTiming(primeBsiExpress, { ...base, clearMode: 'pre_sequence' });
    near(perFrame.periodMs - never.periodMs, primeBsiExpress.clearTimeMs, 1e-9, 'per frame');
    assert.equal(perSequence.periodMs, never.periodMs);
    near(perSequence.firstFrameMs - never.firstFrameMs, primeBsiExpress.clearTimeMs, 1e-9, 'first frame');
  });
});
