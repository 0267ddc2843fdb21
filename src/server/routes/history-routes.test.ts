import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { SqliteTimeSeriesStore } from '../../storage/timeseries/sqlite-timeseries-store.ts';
import { buildServer } from '../server.ts';
import { MAX_HISTORY_POINTS, MAX_HISTORY_SIGNALS } from './history-routes.ts';

describe('history API bounds', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let store: SqliteTimeSeriesStore;
  const T0 = Date.UTC(2026, 0, 1);
  before(async () => {
    h = await serverHarness();
    store = SqliteTimeSeriesStore.inOutputDir(h.dir);
    await store.insert(
      Array.from({ length: 3000 }, (_, i) => ({ signal: 'motor.position', time: T0 + i * 1000, value: i })),
    );
    ({ app } = await buildServer({ ...h.ctx, timeseries: store }));
  });
  after(async () => {
    await app.close();
    await store.close();
    await h.close();
  });

  const get = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/history?${query}` });
    return { status: res.statusCode, body: res.json() };
  };

  it('answers a normal range, and the widest range allowed, with at most `buckets` points', async () => {
    const normal = await get(`signals=motor.position&from=${T0}&to=${T0 + 3_000_000}&buckets=100`);
    assert.equal(normal.status, 200, JSON.stringify(normal.body));
    assert.equal(normal.body.series[0].kind, 'buckets');
    assert.ok(normal.body.series[0].buckets.length <= 100);
    const widest = await get(
      'signals=motor.position&from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&buckets=10',
    );
    assert.equal(widest.status, 200, JSON.stringify(widest.body));
    assert.equal(
      widest.body.series[0].buckets.reduce((n: number, b: { count: number }) => n + b.count, 0),
      3000,
    );
  });

  it('refuses times outside 1970–9999, unreadable times and reversed ranges with a clear 400', async () => {
    for (const [query, message] of [
      ['to=1e20', /to: .* outside 1970-01-01 … 9999-12-31/],
      ['from=-5', /from: .* outside 1970-01-01/],
      ['from=1e400', /from: "1e400" is not a time/],
      ['from=2026-01-02&to=2026-01-01', /from must be before to/],
    ] as const) {
      const r = await get(`signals=motor.position&${query}`);
      assert.deepEqual([r.status, r.body.error.code], [400, 'VALIDATION_FAILED'], query);
      assert.match(r.body.error.message, message, query);
    }
  });

  it('refuses too many buckets, signals or points', async () => {
    assert.equal((await get('signals=motor.position&buckets=1000000000')).status, 400);
    const many = Array.from({ length: MAX_HISTORY_SIGNALS + 1 }, (_, i) => `m.s${i}`).join(',');
    const tooMany = await get(`signals=${many}`);
    assert.equal(tooMany.status, 400);
    assert.match(
      tooMany.body.error.message,
      new RegExp(`${MAX_HISTORY_SIGNALS + 1} asked, at most ${MAX_HISTORY_SIGNALS}`),
    );
    const wide = Array.from({ length: MAX_HISTORY_SIGNALS }, (_, i) => `m.s${i}`).join(',');
    const points = await get(`signals=${wide}&buckets=10000`);
    assert.equal(points.status, 400);
    assert.match(points.body.error.message, new RegExp(`more than ${MAX_HISTORY_POINTS} points`));
    const huge = await get(`signals=${'x'.repeat(30_000)}`);
    assert.equal(huge.status, 400);
  });
});
