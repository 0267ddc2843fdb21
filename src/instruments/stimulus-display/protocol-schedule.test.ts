import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldExtent, screenToVisual } from './display-geometry.ts';
import {
  computeSchedule,
  frameAt,
  frameAtTime,
  luminanceAt,
  protocolProblems,
  type StimulusProtocol,
} from './protocol-schedule.ts';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≠ ${expected}`);

/**
 * A screen 50 cm wide 25 cm away spans atan(25/25) = ±45° of azimuth; 2·25·tan 30° cm high,
 * ±30° of altitude on the centre line. Bar 10°, 10°/s, refresh 10 Hz: LR sweeps −55…55° (110°,
 * 11 s, 110 frames), TB 40…−40° (80°, 8 s, 80 frames).
 */
const small: StimulusProtocol = {
  geometry: {
    widthCm: 50,
    heightCm: 2 * 25 * Math.tan(Math.PI / 6),
    distanceCm: 25,
    resolutionX: 100,
    resolutionY: 60,
    eyeXCm: 0,
    eyeYCm: 0,
    sphericalCorrection: true,
  },
  refreshHz: 10,
  barWidthDeg: 10,
  checkerSizeDeg: 5,
  flickerHz: 2,
  contrast: 0.5,
  background: 0.5,
  speedDegPerS: 10,
  directions: ['LR', 'TB'],
  cyclesPerDirection: 2,
  baselineS: 1,
  gapS: 0.5,
  cameraFps: 10,
};

describe('display geometry', () => {
  it('maps screen cm to azimuth and altitude as Marshel et al. 2011', () => {
    const g = small.geometry;
    close(screenToVisual(g, 25, 0).azimuthDeg, 45);
    close(screenToVisual(g, 0, 25).altitudeDeg, 45);
    // At the right edge the distance to the eye is 25√2, so 25 cm up is atan(1/√2) = 35.264°.
    close(screenToVisual(g, 25, 25).altitudeDeg, 35.26438968275466);
    close(screenToVisual({ ...g, sphericalCorrection: false }, 25, 25).altitudeDeg, 45);
  });

  it("gives KimLabISI's 101.3° × 71.8° field for its monitor (2·atan(30.48/25), 2·atan(18.0975/25))", () => {
    const field = fieldExtent({ ...small.geometry, widthCm: 60.96, heightCm: 36.195 });
    close(field.azimuth.max - field.azimuth.min, 101.2821, 1e-3);
    close(field.altitude.max - field.altitude.min, 71.8016, 1e-3);
  });

  it('follows the eye off centre', () => {
    const field = fieldExtent({ ...small.geometry, eyeXCm: 25 });
    close(field.azimuth.min, -atanDeg(50 / 25));
    close(field.azimuth.max, 0);
  });
});

const atanDeg = (x: number) => (Math.atan(x) * 180) / Math.PI;

describe('protocol schedule', () => {
  const schedule = computeSchedule(small);

  it('computes sweep range, durations and frequencies per direction', () => {
    const [lr, tb] = schedule.directions;
    close(lr!.fromDeg, -55);
    close(lr!.toDeg, 55);
    assert.equal(lr!.sweepFrames, 110);
    close(lr!.sweepS, 11);
    close(lr!.periodS, 11.5);
    close(lr!.frequencyHz, 1 / 11.5);
    close(tb!.fromDeg, 40);
    close(tb!.toDeg, -40);
    assert.equal(tb!.sweepFrames, 80);
    close(tb!.periodS, 8.5);
  });

  it('counts frames: baselines, sweeps and gaps (none after the last sweep)', () => {
    // 10 + (110 + 5 + 110) + 10 + (80 + 5 + 80) + 10
    assert.equal(schedule.frameCount, 420);
    close(schedule.totalS, 42);
    assert.deepEqual(
      schedule.segments.map((s) => [s.phase, s.direction, s.sweep, s.startFrame, s.frames]),
      [
        ['baseline', null, null, 0, 10],
        ['sweep', 'LR', 0, 10, 110],
        ['gap', 'LR', 0, 120, 5],
        ['sweep', 'LR', 1, 125, 110],
        ['baseline', null, null, 235, 10],
        ['sweep', 'TB', 0, 245, 80],
        ['gap', 'TB', 0, 325, 5],
        ['sweep', 'TB', 1, 330, 80],
        ['baseline', null, null, 410, 10],
      ],
    );
  });

  it('places the bar at the middle of each frame interval', () => {
    assert.deepEqual(frameAt(schedule, 9), {
      index: 9,
      direction: null,
      sweep: null,
      phase: 'baseline',
      barDeg: null,
    });
    close(frameAt(schedule, 10)!.barDeg!, -54.5);
    close(frameAt(schedule, 119)!.barDeg!, 54.5);
    assert.equal(frameAt(schedule, 122)!.phase, 'gap');
    close(frameAt(schedule, 245)!.barDeg!, 39.5);
    close(frameAtTime(schedule, 24.55)!.barDeg!, 39.5);
    assert.equal(frameAt(schedule, 420), null);
  });

  it('makes RL the reversed frame list of LR', () => {
    const both = computeSchedule({ ...small, directions: ['LR', 'RL'], cyclesPerDirection: 1 });
    const lr = both.segments[1]!;
    const rl = both.segments[3]!;
    assert.equal(rl.direction, 'RL');
    for (let k = 0; k < lr.frames; k++)
      close(
        frameAt(both, lr.startFrame + k)!.barDeg!,
        frameAt(both, rl.startFrame + lr.frames - 1 - k)!.barDeg!,
      );
  });

  it('draws the checkerboard inside the bar with floor, and background outside', () => {
    // Checks of 5°: (0.1°, 0.1°) and (−0.1°, 0.1°) are in different checks (truncation would merge them).
    const a = luminanceAt(small, 'azimuth', 0, 0.1, 0.1, 0);
    const b = luminanceAt(small, 'azimuth', 0, -0.1, 0.1, 0);
    assert.deepEqual([a, b], [1, 0]);
    assert.equal(luminanceAt(small, 'azimuth', 0, 0.1, 0.1, 1), 0);
    assert.equal(luminanceAt(small, 'azimuth', 0, 5.1, 0.1, 0), 0.5);
    assert.equal(luminanceAt(small, null, null, 0.1, 0.1, 0), 0.5);
  });
});

describe('protocol validation', () => {
  it('accepts the example', () => assert.deepEqual(protocolProblems(small), []));

  it('refuses a bar wider than the field', () => {
    const problems = protocolProblems({ ...small, barWidthDeg: 70 });
    assert.deepEqual(problems, ["the bar (70°) is wider than the field's altitude (60.0°)"]);
  });

  it('refuses a sweep shorter than two camera frames', () => {
    // Bar 50°: LR 90 + 2·50 = 190° at 2000°/s is 95 ms, TB 60 + 100 = 160° is 80 ms; two frames
    // at 30 fps are 66.7 ms, at 22.5 fps 88.9 ms.
    const fast = { ...small, barWidthDeg: 50, speedDegPerS: 2000, refreshHz: 1000, cameraFps: 22.5 };
    assert.deepEqual(protocolProblems({ ...fast, cameraFps: 30 }), []);
    assert.deepEqual(protocolProblems(fast), [
      'a TB sweep at 2000°/s lasts 80.0 ms, shorter than two camera frames at 22.5 fps (88.9 ms)',
    ]);
  });
});
