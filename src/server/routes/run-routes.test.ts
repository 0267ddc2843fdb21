import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { systemClock } from '../../core/clock.ts';
import { RunEngine } from '../../engine/run-engine.ts';
import { MemoryWriter } from '../../engine/testing/fake-lab.ts';
import { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import { buildServer } from '../server.ts';

describe('runs API', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let engine: RunEngine;
  let catalog: RunCatalog;
  before(async () => {
    h = await serverHarness();
    catalog = RunCatalog.inOutputDir(h.dir);
    engine = new RunEngine({
      instruments: h.ctx.instruments,
      bus: h.bus,
      clock: systemClock,
      writerFactory: (_start, report) => new MemoryWriter(report),
      recorder: catalog,
      config: h.ctx.config,
    });
    writeFileSync(join(h.dir, 'run.mem'), 'run data');
    ({ app } = await buildServer({ ...h.ctx, engine, catalog }, { checkReplies: true }));
  });
  after(async () => {
    await app.close();
    await engine.shutdown();
    catalog.close();
    await h.close();
  });

  const json = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() };
  };

  it('lists plans with argument schemas built from the instruments', async () => {
    const { body } = await json('GET', '/api/v1/plans');
    const names = body.map((p: { name: string }) => p.name);
    for (const n of ['count', 'scan', 'grid_scan', 'list_scan', 'time_series', 'camera_acquire'])
      assert.ok(names.includes(n), n);
    const scan = body.find((p: { name: string }) => p.name === 'scan');
    assert.ok(JSON.stringify(scan.schema).includes('motor.position'));
  });

  it('submits a run, which is recorded in the catalog with its documents and files', async () => {
    const submitted = await json('POST', '/api/v1/runs', {
      plan: 'scan',
      args: { detectors: ['motor.position'], motor: 'motor.position', start: 0, stop: 2, num: 3 },
      metadata: { sample: 'Si-42' },
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const { uid } = submitted.body;
    await engine.whenFinished(uid);
    const run = await json('GET', `/api/v1/runs/${uid}`);
    assert.equal(run.body.status, 'success');
    assert.deepEqual(run.body.num_events, { primary: 3 });
    const found = await json('GET', '/api/v1/runs?metadata=sample=Si-42&plan=scan');
    assert.deepEqual(
      found.body.runs.map((r: { uid: string }) => r.uid),
      [uid],
    );
    const events = await json('GET', `/api/v1/runs/${uid}/documents?name=event`);
    assert.deepEqual(
      events.body.map(
        (d: { doc: { data: Record<string, number> } }) =>
          d.doc.data['motor.position'] ?? d.doc.data.motor_position,
      ),
      [0, 1, 2],
    );
    const file = await app.inject({ method: 'GET', url: `/api/v1/runs/${uid}/files/run.mem` });
    assert.deepEqual([file.statusCode, file.body], [200, 'run data']);
    assert.equal(h.security.auditLog({ action: 'run.submit' })[0]?.result, 'ok');
  });

  it('errors: unknown plan, bad arguments, unknown run, control of a finished run, files outside the run', async () => {
    assert.equal(
      (await json('POST', '/api/v1/runs', { plan: 'warp', args: {} })).body.error.code,
      'PLAN_NOT_FOUND',
    );
    const bad = await json('POST', '/api/v1/runs', {
      plan: 'scan',
      args: { detectors: ['motor.position'], motor: 'motor.position', start: -50, stop: 2, num: 0 },
    });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'VALIDATION_FAILED']);
    assert.equal((await json('GET', '/api/v1/runs/nope')).body.error.code, 'RUN_NOT_FOUND');
    const [done] = (await json('GET', '/api/v1/runs')).body.runs;
    const pause = await json('POST', `/api/v1/runs/${done.uid}/pause`);
    assert.deepEqual([pause.status, pause.body.error.code], [409, 'RUN_STATE_CONFLICT']);
    const outside = await app.inject({
      method: 'GET',
      url: `/api/v1/runs/${done.uid}/files/..%2F..%2Fetc%2Fpasswd`,
    });
    assert.equal(outside.statusCode, 404);
  });

  it('refuses a scan of 1e9 points and a 1e5 × 1e5 grid with 400 at submit, building nothing', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    const scan = await json('POST', '/api/v1/runs', {
      plan: 'scan',
      args: { detectors: ['motor.position'], motor: 'motor.position', start: 0, stop: 2, num: 1_000_000_000 },
    });
    assert.deepEqual([scan.status, scan.body.error.code], [400, 'VALIDATION_FAILED']);
    assert.match(scan.body.error.message, /\/num: .*1000000/);
    const grid = await json('POST', '/api/v1/runs', {
      plan: 'grid_scan',
      args: {
        detectors: ['motor.position'],
        axes: [
          { motor: 'motor.position', start: 0, stop: 2, num: 100_000 },
          { motor: 'motor.position', start: 1, stop: 2, num: 100_000 },
        ],
      },
    });
    assert.equal(grid.status, 400, JSON.stringify(grid.body));
    const total = grid.body.error.details.problems.find((p: { path: string }) => p.path === '/axes');
    assert.match(total?.message ?? '', /10000000000 points; the limit is 1000000 \(\[engine\] max_points\)/);
    // 1e9 points as numbers alone would be 8 GB; a few MiB of garbage is the requests themselves.
    const grown = heap() - before;
    assert.ok(grown < 16 * 1024 ** 2, `heap grew by ${grown} bytes`);
    assert.equal(engine.current(), null);
    assert.deepEqual(engine.queue(), []);
  });

  it('refuses out-of-range paging with a 400, not a 500 from SQLite', async () => {
    const [done] = (await json('GET', '/api/v1/runs')).body.runs;
    for (const url of [
      '/api/v1/runs?offset=1e20',
      '/api/v1/runs?offset=-1',
      '/api/v1/runs?limit=-1',
      '/api/v1/runs?limit=1000000',
      `/api/v1/runs/${done.uid}/documents?offset=1e20`,
      `/api/v1/runs/${done.uid}/documents?limit=-1`,
    ]) {
      const r = await json('GET', url);
      assert.deepEqual([r.status, r.body.error.code], [400, 'VALIDATION_FAILED'], url);
    }
    assert.equal((await json('GET', '/api/v1/runs?offset=10000000')).status, 200);
  });

  it('refuses a run file that is a symlink out of the output directory, and follows one that stays inside', async () => {
    const [done] = (await json('GET', '/api/v1/runs')).body.runs;
    const url = `/api/v1/runs/${done.uid}/files/run.mem`;
    rmSync(join(h.dir, 'run.mem'));
    symlinkSync('/etc/passwd', join(h.dir, 'run.mem'));
    const escaped = await app.inject({ method: 'GET', url });
    assert.equal(escaped.statusCode, 404);
    assert.equal(escaped.json().error.code, 'NOT_FOUND');
    assert.doesNotMatch(escaped.body, /root:/);
    rmSync(join(h.dir, 'run.mem'));
    mkdirSync(join(h.dir, 'data'), { recursive: true });
    writeFileSync(join(h.dir, 'data', 'real.mem'), 'run data');
    symlinkSync(join(h.dir, 'data', 'real.mem'), join(h.dir, 'run.mem'));
    const inside = await app.inject({ method: 'GET', url });
    assert.deepEqual([inside.statusCode, inside.body], [200, 'run data']);
  });
});
