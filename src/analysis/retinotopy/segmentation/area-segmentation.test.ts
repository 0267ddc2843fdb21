import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultAnalysisParameters } from '../analysis-parameters.ts';
import { segmentAreas } from './area-segmentation.ts';

const W = 150;
const H = 120;
const grid = { width: W, height: H };

/** Maps from per-pixel functions of (row, col). */
function maps(az: (r: number, c: number) => number, alt: (r: number, c: number) => number) {
  const azimuth = new Float64Array(W * H);
  const altitude = new Float64Array(W * H);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      azimuth[r * W + c] = az(r, c);
      altitude[r * W + c] = alt(r, c);
    }
  }
  return { azimuth, altitude };
}

const altitudeUp = (r: number) => 30 - (60 * r) / (H - 1);
/** Three areas side by side: azimuth rises, falls, rises (visual field signs +, −, +). */
const zigzag = (_r: number, c: number) =>
  c < 50 ? (40 * c) / 49 : c < 100 ? 40 - (40 * (c - 50)) / 49 : (40 * (c - 100)) / 49;

describe('area segmentation (Zhuang et al. 2017)', () => {
  it('finds three areas of alternating sign with about the configured size', () => {
    const { azimuth, altitude } = maps(zigzag, altitudeUp);
    const result = segmentAreas(azimuth, altitude, grid, defaultAnalysisParameters());
    assert.equal(result.areas.length, 3, JSON.stringify(result.areas));
    // Order areas left to right by the column of their first pixel in the middle row.
    const mid = Math.floor(H / 2) * W;
    const order = [25, 75, 125].map((c) => result.areaMap[mid + c] as number);
    assert.deepEqual(new Set(order).size, 3);
    const byLabel = new Map(result.areas.map((a) => [a.label, a]));
    assert.deepEqual(
      order.map((l) => byLabel.get(l)?.sign),
      [1, -1, 1],
    );
    for (const l of order) {
      const area = byLabel.get(l);
      assert.ok(
        area && area.areaPx > 0.7 * 50 * H && area.areaPx < 1.2 * 50 * H,
        `area ${JSON.stringify(area)}`,
      );
      // Each covers about 40° × 60° of the visual field.
      assert.ok(area && area.au > 1800 && area.au < 3000, `AU ${area?.au}`);
      assert.ok(area && area.as / area.au < 1.1, `AS/AU ${area && area.as / area.au}`);
    }
    assert.ok(result.boundaryMap.some((v) => v));
    for (let i = 0; i < result.boundaryMap.length; i++) {
      if (result.boundaryMap[i]) assert.ok((result.areaMap[i] as number) > 0);
    }
  });

  it('the camera-flip switch reverses every sign', () => {
    const { azimuth, altitude } = maps(zigzag, altitudeUp);
    const p = { ...defaultAnalysisParameters(), camera_flip: true };
    const result = segmentAreas(azimuth, altitude, grid, p);
    assert.equal(result.areas.length, 3);
    const mid = Math.floor(H / 2) * W;
    const signs = [25, 75, 125].map(
      (c) => result.areas.find((a) => a.label === result.areaMap[mid + c])?.sign,
    );
    assert.deepEqual(signs, [-1, 1, -1]);
  });

  it('splits a patch that maps the same visual field twice (AS/AU ≈ 2) and does not merge the halves back', () => {
    // A − area (a lone patch would be dropped as isolated) next to a + area whose azimuth runs
    // 0→40° twice: a repeat that only the split step can separate.
    const twice = (_r: number, c: number) => (c < 40 ? 40 - c : (40 * ((c - 40) % 55)) / 54);
    const { azimuth, altitude } = maps(twice, altitudeUp);
    const p = defaultAnalysisParameters();
    const result = segmentAreas(azimuth, altitude, grid, p);
    const mid = Math.floor(H / 2) * W;
    const left = result.areaMap[mid + 67] as number;
    const right = result.areaMap[mid + 122] as number;
    assert.ok(left > 0 && right > 0 && left !== right, `left ${left} right ${right}`);
    for (const l of [left, right]) assert.equal(result.areas.find((a) => a.label === l)?.sign, 1);
    // Without the split the whole field is one area covering its visual field twice.
    const unsplit = segmentAreas(azimuth, altitude, grid, { ...p, split_ratio: 1e9 });
    assert.equal(unsplit.areaMap[mid + 67], unsplit.areaMap[mid + 122]);
    const whole = unsplit.areas.find((a) => a.label === unsplit.areaMap[mid + 67]);
    assert.ok(whole && whole.as / whole.au > 1.5, `AS/AU ${whole && whole.as / whole.au}`);
  });
});

describe('area segmentation (Garrett et al. 2014 variant)', () => {
  it('finds the three areas of alternating sign with method = garrett', () => {
    const { azimuth, altitude } = maps(zigzag, altitudeUp);
    const result = segmentAreas(azimuth, altitude, grid, {
      ...defaultAnalysisParameters(),
      method: 'garrett',
    });
    const mid = Math.floor(H / 2) * W;
    const labels = [25, 75, 125].map((c) => result.areaMap[mid + c] as number);
    assert.equal(new Set(labels).size, 3, JSON.stringify(result.areas));
    assert.deepEqual(
      labels.map((l) => result.areas.find((a) => a.label === l)?.sign),
      [1, -1, 1],
    );
  });
});
