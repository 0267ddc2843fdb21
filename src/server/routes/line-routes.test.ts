import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { SqliteLineStore } from '../../production/store/sqlite-line-store.ts';
import { testLineConfig } from '../../production/testing/line-test-config.ts';
import { syntheticShiftRecords } from '../../production/testing/synthetic-shift.ts';
import { buildServer } from '../server.ts';

const SECURED = `[security]\nauth = "required"\njwt_secret = "${'s'.repeat(40)}"\n`;

describe('line API', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let store: SqliteLineStore;
  let keys: Record<'viewer' | 'operator' | 'admin', string>;
  const line = testLineConfig();
  const shift = syntheticShiftRecords(line, {
    seed: 3,
    date: '2026-12-01',
    shiftName: 'A',
    faultAt: '12:00',
    faultMs: 15 * 60_000,
    faultCode: 'F301',
    microStopRate: 0.05,
    microStopMs: 2000,
    jitterMs: 100,
    defectRates: { scratch: 0.02, dent: 0.01 },
  });
  before(async () => {
    h = await serverHarness(SECURED);
    store = new SqliteLineStore(`${h.dir}/production.sqlite`);
    await store.write(shift.batch);
    ({ app } = await buildServer({ ...h.ctx, production: { lines: [line], store } }));
    keys = {
      viewer: h.security.createKey('wall', 'viewer').key,
      operator: h.security.createKey('op', 'operator').key,
      admin: h.security.createKey('qa-lead', 'admin').key,
    };
  });
  after(async () => {
    await app.close();
    await store.close();
    await h.close();
  });
  const get = (url: string, key = keys.viewer) =>
    app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

  it('GET /lines/{id}/kpis?date&shift gives the shift’s KPIs, Pareto and SPC; from&to the same window agrees', async () => {
    const byShift = await get('/api/v1/lines/assembly1/kpis?date=2026-12-01&shift=A');
    assert.equal(byShift.statusCode, 200, byShift.body);
    const k = byShift.json().kpis;
    assert.equal(k.produced, shift.batch.parts.length);
    for (const key of ['availability', 'performance', 'quality'] as const)
      assert.ok(Math.abs(k[key] - shift.truth[key]) < 0.01, `${key} ${k[key]} vs ${shift.truth[key]}`);
    assert.deepEqual(k.downtime, [{ reason: 'F301', durationMs: 15 * 60_000, stops: 1 }]);
    assert.equal(byShift.json().pareto.byClass[0].key, 'scratch');
    assert.ok(byShift.json().cycleTimeChart.ucl > 0);
    const window = await get(
      '/api/v1/lines/assembly1/kpis?from=2026-12-01T06:00:00Z&to=2026-12-01T14:00:00Z',
    );
    assert.equal(window.statusCode, 200, window.body);
    assert.deepEqual(window.json().kpis, k);
  });

  it('unknown line 404, shift without date 400', async () => {
    assert.equal((await get('/api/v1/lines/nope/kpis')).statusCode, 404);
    assert.equal((await get('/api/v1/lines/assembly1/kpis?shift=A')).statusCode, 400);
  });

  it('defect review: list pending, an operator may not disposition (403), an admin may (audited)', async () => {
    const listed = await get(
      '/api/v1/lines/assembly1/defects?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&disposition=pending&limit=5',
    );
    assert.equal(listed.statusCode, 200);
    const [first] = listed.json().defects;
    assert.equal(listed.json().defects.length, 5);
    const post = (key: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/lines/assembly1/defects/${first.id}/disposition`,
        headers: { 'x-api-key': key },
        payload: { disposition: 'reject', note: 'deep scratch' },
      });
    assert.equal((await post(keys.viewer)).statusCode, 403);
    const refused = await post(keys.operator);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'FORBIDDEN');
    assert.match(refused.json().error.message, /supervisor or quality/);
    const done = await post(keys.admin);
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual(
      [done.json().disposition, done.json().note, done.json().dispositionBy],
      ['reject', 'deep scratch', 'qa-lead'],
    );
    const [audit] = await store.auditLog(1);
    assert.equal(audit!.resource, `defect/${first.id}`);
  });
});
