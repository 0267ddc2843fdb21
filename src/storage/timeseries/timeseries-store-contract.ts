import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import type { Sample, Series, TimeSeriesStore } from './timeseries-store.ts';

const T0 = Date.UTC(2026, 0, 1);

/** `n` samples of `signal`, one per `stepMs` from `start`, value = index. */
function ramp(signal: string, start: number, n: number, stepMs: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ signal, time: start + i * stepMs, value: i }));
}

function only<K extends Series['kind']>(series: Series[], kind: K): Extract<Series, { kind: K }> {
  assert.equal(series.length, 1);
  assert.equal(series[0]!.kind, kind);
  return series[0] as Extract<Series, { kind: K }>;
}

/**
 * What every TimeSeriesStore promises, written once and run against each backend. `open`
 * returns a fresh, empty store; `skip` is a reason to skip (backend unavailable) or false.
 */
export function timeSeriesStoreContract(
  name: string,
  open: () => Promise<TimeSeriesStore>,
  skip: string | false = false,
): void {
  describe(`${name} (TimeSeriesStore contract)`, { skip }, () => {
    let store: TimeSeriesStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('returns raw points, in time order, when the range holds no more than `buckets`', async () => {
      await store.insert([
        { signal: 'laser.power', time: T0 + 2000, value: 2.5 },
        { signal: 'laser.power', time: T0, value: 1.25 },
        { signal: 'laser.power', time: T0 + 1000, value: null, quality: 'invalid' },
        { signal: 'stage.x', time: T0, value: -3 },
      ]);
      const series = await store.query({
        signals: ['laser.power', 'stage.x'],
        from: T0,
        to: T0 + 3000,
        buckets: 3,
      });
      assert.deepEqual(series, [
        {
          signal: 'laser.power',
          kind: 'raw',
          points: [
            { time: T0, value: 1.25 },
            { time: T0 + 1000, value: null, quality: 'invalid' },
            { time: T0 + 2000, value: 2.5 },
          ],
        },
        { signal: 'stage.x', kind: 'raw', points: [{ time: T0, value: -3 }] },
      ]);
    });

    it('treats the range as [from, to): a sample at `to` is outside', async () => {
      await store.insert(ramp('a.b', T0, 5, 1000));
      const { points } = only(
        await store.query({ signals: ['a.b'], from: T0 + 1000, to: T0 + 3000, buckets: 10 }),
        'raw',
      );
      assert.deepEqual(
        points.map((p) => p.time),
        [T0 + 1000, T0 + 2000],
      );
    });

    it('downsamples to min/max/mean/count per bucket when there are more samples than buckets', async () => {
      // 100 samples at 1 s, values 0…99, over 100 s in 10 buckets of 10 s.
      await store.insert(ramp('a.b', T0, 100, 1000));
      const series = only(
        await store.query({ signals: ['a.b'], from: T0, to: T0 + 100_000, buckets: 10 }),
        'buckets',
      );
      assert.equal(series.bucketMs, 10_000);
      assert.equal(series.buckets.length, 10);
      series.buckets.forEach((bucket, i) => {
        assert.deepEqual(bucket, {
          time: T0 + i * 10_000,
          min: i * 10,
          max: i * 10 + 9,
          mean: i * 10 + 4.5,
          count: 10,
          nulls: 0,
        });
      });
    });

    it('counts nulls apart from values and leaves empty buckets out', async () => {
      const samples = ramp('a.b', T0, 10, 1000);
      samples[2] = { signal: 'a.b', time: T0 + 2000, value: null, quality: 'invalid' };
      for (let i = 0; i < 4; i++)
        samples.push({ signal: 'a.b', time: T0 + 60_000 + i, value: null, quality: 'invalid' });
      await store.insert(samples);
      // 14 samples, 7 buckets of 10 s: samples fall into buckets 0 and 6 only.
      const series = only(
        await store.query({ signals: ['a.b'], from: T0, to: T0 + 70_000, buckets: 7 }),
        'buckets',
      );
      assert.deepEqual(series.buckets, [
        { time: T0, min: 0, max: 9, mean: 43 / 9, count: 9, nulls: 1 },
        { time: T0 + 60_000, min: null, max: null, mean: null, count: 0, nulls: 4 },
      ]);
    });

    it('chooses raw or buckets per signal and answers unknown signals with no points', async () => {
      await store.insert([...ramp('dense.x', T0, 50, 100), ...ramp('sparse.y', T0, 3, 1000)]);
      const series = await store.query({
        signals: ['sparse.y', 'missing.z', 'dense.x'],
        from: T0,
        to: T0 + 5000,
        buckets: 5,
      });
      assert.deepEqual(
        series.map((s) => [s.signal, s.kind]),
        [
          ['sparse.y', 'raw'],
          ['missing.z', 'raw'],
          ['dense.x', 'buckets'],
        ],
      );
      assert.deepEqual(series[1], { signal: 'missing.z', kind: 'raw', points: [] });
      const dense = series[2] as Extract<Series, { kind: 'buckets' }>;
      assert.deepEqual(
        dense.buckets.map((b) => b.count),
        [10, 10, 10, 10, 10],
      );
    });

    it('keeps the first sample for a (signal, time) and ignores a repeat', async () => {
      await store.insert([{ signal: 'a.b', time: T0, value: 1 }]);
      await store.insert([
        { signal: 'a.b', time: T0, value: 2 },
        { signal: 'a.b', time: T0 + 1, value: 3 },
      ]);
      const { points } = only(
        await store.query({ signals: ['a.b'], from: T0, to: T0 + 10, buckets: 10 }),
        'raw',
      );
      assert.deepEqual(points, [
        { time: T0, value: 1 },
        { time: T0 + 1, value: 3 },
      ]);
    });

    it('stores times at millisecond resolution', async () => {
      await store.insert([{ signal: 'a.b', time: T0 + 12.4, value: 1 }]);
      const { points } = only(
        await store.query({ signals: ['a.b'], from: T0, to: T0 + 100, buckets: 10 }),
        'raw',
      );
      assert.deepEqual(points, [{ time: T0 + 12, value: 1 }]);
    });

    it('rejects a batch with a non-finite value or time, writing none of it', async () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(
          store.insert([
            { signal: 'a.b', time: T0, value: 1 },
            { signal: 'a.b', time: T0 + 1, value: bad },
          ]),
          (e) => isBenchtopError(e, 'VALIDATION_FAILED') && e.details.field === 'samples[1].value',
        );
      }
      await assert.rejects(store.insert([{ signal: 'a.b', time: Number.NaN, value: 1 }]), (e) =>
        isBenchtopError(e, 'VALIDATION_FAILED'),
      );
      const { points } = only(
        await store.query({ signals: ['a.b'], from: T0, to: T0 + 10, buckets: 10 }),
        'raw',
      );
      assert.deepEqual(points, []);
    });

    it('rejects malformed queries with VALIDATION_FAILED', async () => {
      const bad = [
        { signals: [], from: T0, to: T0 + 1, buckets: 1 },
        { signals: ['a.b'], from: T0, to: T0, buckets: 1 },
        { signals: ['a.b'], from: T0, to: T0 + 1, buckets: 0 },
        { signals: ['a.b'], from: T0, to: T0 + 1, buckets: 10_001 },
        { signals: ['a.b'], from: Number.NaN, to: T0 + 1, buckets: 1 },
      ];
      for (const query of bad) {
        await assert.rejects(store.query(query), (e) => isBenchtopError(e, 'VALIDATION_FAILED'));
      }
    });

    it('deletes only samples strictly older than the cut-off', async () => {
      await store.insert([...ramp('a.b', T0, 5, 1000), ...ramp('c.d', T0, 5, 1000)]);
      assert.equal(await store.deleteOlderThan(T0 + 2000), 4);
      const series = await store.query({
        signals: ['a.b', 'c.d'],
        from: T0 - 1000,
        to: T0 + 10_000,
        buckets: 100,
      });
      for (const s of series) {
        assert.equal(s.kind, 'raw');
        assert.deepEqual(s.kind === 'raw' && s.points.map((p) => p.time), [T0 + 2000, T0 + 3000, T0 + 4000]);
      }
      assert.equal(await store.deleteOlderThan(T0 + 2000), 0);
    });

    it('takes a large batch in one call', async () => {
      const signals = ['s.a', 's.b', 's.c', 's.d'];
      const batch = signals.flatMap((signal) => ramp(signal, T0, 5000, 10));
      await store.insert(batch);
      const series = await store.query({ signals, from: T0, to: T0 + 50_000, buckets: 50 });
      for (const s of series) {
        assert.equal(s.kind, 'buckets');
        const counts = s.kind === 'buckets' ? s.buckets.map((b) => b.count) : [];
        assert.equal(counts.length, 50);
        assert.ok(counts.every((c) => c === 100));
      }
    });
  });
}
