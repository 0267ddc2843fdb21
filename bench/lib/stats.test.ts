import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from './latency-histogram.ts';
import { median, percentile, significant, spread } from './stats.ts';

describe('percentile and median', () => {
  it('interpolates between closest ranks like numpy.percentile', () => {
    const values = [15, 20, 35, 40, 50];
    // numpy.percentile([15, 20, 35, 40, 50], [0, 25, 40, 50, 90, 100]) → 15, 20, 29, 35, 46, 50
    assert.equal(percentile(values, 0), 15);
    assert.equal(percentile(values, 25), 20);
    assert.ok(Math.abs(percentile(values, 40) - 29) < 1e-9);
    assert.equal(percentile(values, 50), 35);
    assert.ok(Math.abs(percentile(values, 90) - 46) < 1e-9);
    assert.equal(percentile(values, 100), 50);
  });

  it('takes the mean of the middle two for an even count, whatever the input order', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('refuses no values, non-finite values and percentiles outside 0–100', () => {
    assert.throws(() => median([]), RangeError);
    assert.throws(() => median([1, Number.NaN]), RangeError);
    assert.throws(() => percentile([1, 2], 101), RangeError);
    assert.throws(() => percentile([1, 2], -1), RangeError);
  });
});

describe('spread', () => {
  it('gives count, median, quartiles and range', () => {
    assert.deepEqual(spread([9, 1, 5, 3, 7]), { n: 5, median: 5, min: 1, max: 9, p25: 3, p75: 7 });
  });

  it('of one value is that value everywhere', () => {
    assert.deepEqual(spread([2.5]), { n: 1, median: 2.5, min: 2.5, max: 2.5, p25: 2.5, p75: 2.5 });
  });
});

describe('significant', () => {
  it('rounds to significant digits and leaves zero and non-finite values alone', () => {
    assert.equal(significant(123456.789), 123500);
    assert.equal(significant(0.000123456, 3), 0.000123);
    assert.equal(significant(0), 0);
    assert.equal(significant(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  });
});

describe('LatencyHistogram', () => {
  it('reports a percentile as the upper edge of its 0.1 ms bin, never above the max', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i); // 1 … 100 ms
    assert.equal(h.count, 100);
    assert.ok(Math.abs(h.percentile(50) - 50.1) < 1e-9);
    assert.ok(Math.abs(h.percentile(99) - 99.1) < 1e-9);
    assert.equal(h.percentile(100), 100);
    assert.equal(h.min, 1);
    assert.equal(h.max, 100);
    assert.equal(h.mean, 50.5);
  });

  it('puts values beyond 10 s in an overflow bin whose percentile is the exact max', () => {
    const h = new LatencyHistogram();
    h.record(5);
    h.record(25_000);
    assert.equal(h.percentile(100), 25_000);
    assert.ok(Math.abs(h.percentile(50) - 5.1) < 1e-9);
  });

  it('counts negative clock skew as zero', () => {
    const h = new LatencyHistogram();
    h.record(-0.4);
    assert.equal(h.min, 0);
    assert.ok(Math.abs(h.percentile(100) - 0) < 1e-9);
  });

  it('merges counts from several generators, also after a trip through JSON', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 90; i++) a.record(1);
    for (let i = 0; i < 10; i++) b.record(40);
    const merged = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a))).merge(
      LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(b))),
    );
    assert.equal(merged.count, 100);
    assert.ok(Math.abs(merged.percentile(90) - 1.1) < 1e-9);
    assert.ok(Math.abs(merged.percentile(95) - 40) < 1e-9);
    assert.equal(merged.max, 40);
    assert.equal(merged.min, 1);
  });

  it('survives JSON when empty, and refuses an empty percentile and bad input', () => {
    const empty = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(new LatencyHistogram())));
    assert.equal(empty.count, 0);
    assert.throws(() => empty.percentile(50), RangeError);
    assert.throws(() => empty.record(Number.NaN), RangeError);
    assert.throws(
      () => LatencyHistogram.fromJSON({ count: 1, sum: 1, min: 1, max: 1, bins: [[-1, 1]] }),
      RangeError,
    );
  });
});
