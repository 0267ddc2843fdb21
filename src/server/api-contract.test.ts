import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { serverHarness } from '../../test/support/server-harness.ts';
import { AlarmService } from '../alarms/alarm-service.ts';
import { AlarmStore } from '../alarms/alarm-store.ts';
import { syntheticSession } from '../analysis/retinotopy/test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../analysis/retinotopy/test-support/write-benchtop-session.ts';
import { AlarmEntry } from '../config/schema.ts';
import { systemClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { RunEngine } from '../engine/run-engine.ts';
import { MemoryWriter } from '../engine/testing/fake-lab.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { hasH5py, PYTHON } from '../storage/hdf5/test-support/run-file-reader.ts';
import { SqliteTimeSeriesStore } from '../storage/timeseries/sqlite-timeseries-store.ts';
import { ErrorResponses } from './api-types.ts';
import { buildServer } from './server.ts';

const SECURED = '[security]\nauth = "required"\njwt_secret = "test-secret-0123456789abcdef0123456789"\n';
const PASSWORD = 'analytical-engine';

interface Exchange {
  route: string;
  status: number;
  body: string;
}

/**
 * The API's contract: every route is driven with the reply check on (a reply its response schema
 * does not allow becomes a 500 naming the mismatch), and the OpenAPI document is validated whole.
 * The same routes are driven once more through fastify's own serialiser, the one production uses,
 * so every response schema also compiles and serialises there.
 */
for (const checkReplies of [true, false])
  describe(checkReplies ? 'API contract' : 'API contract, production serialiser', () => {
    let h: Awaited<ReturnType<typeof serverHarness>>;
    let app: FastifyInstance;
    let engine: RunEngine;
    const routes: { method: string; url: string; hidden: boolean }[] = [];
    const exchanges: Exchange[] = [];
    const cleanups: (() => unknown)[] = [];
    let token = '';

    before(async () => {
      h = await serverHarness(SECURED);
      await h.security.addUser('root', 'admin', PASSWORD);
      const catalog = RunCatalog.inOutputDir(h.dir);
      engine = new RunEngine({
        instruments: h.ctx.instruments,
        bus: h.bus,
        clock: systemClock,
        writerFactory: (_start, report) => new MemoryWriter(report),
        recorder: catalog,
        config: h.ctx.config,
      });
      writeFileSync(join(h.dir, 'run.mem'), 'run data');
      const alarmStore = AlarmStore.inOutputDir(h.dir);
      const alarms = new AlarmService({
        alarms: [Value.Default(AlarmEntry, { signal: 'motor.position', high: 5, priority: 'high' }) as never],
        instruments: [{ id: 'motor', type: 'FakeMotor' }],
        bus: h.bus,
        clock: systemClock,
        store: alarmStore,
        logger: silentLogger(),
      });
      alarms.start();
      const timeseries = SqliteTimeSeriesStore.inOutputDir(h.dir);
      const onRoute = (r: RouteOptions) => {
        const hidden =
          (r.schema as { hide?: boolean } | undefined)?.hide === true ||
          (r as { websocket?: boolean }).websocket;
        for (const method of [r.method].flat())
          if (method !== 'HEAD') routes.push({ method, url: r.url, hidden: hidden === true });
      };
      ({ app } = await buildServer(
        { ...h.ctx, engine, catalog, alarms, timeseries },
        { onRoute, checkReplies },
      ));
      app.addHook('onResponse', async (request, reply) => {
        const route = `${request.method} ${request.routeOptions.url}`;
        exchanges.push({ route, status: reply.statusCode, body: '' });
      });
      cleanups.push(
        () => app.close(),
        () => engine.shutdown(),
        () => catalog.close(),
        () => alarms.stop(),
        () => alarmStore.close(),
        () => timeseries.close(),
      );
    });
    after(async () => {
      for (const c of cleanups) await c();
      await h.close();
    });

    const call = async (method: string, url: string, payload?: object) => {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(payload ? { payload } : {}),
      });
      const last = exchanges.at(-1);
      if (last) last.body = res.body;
      assert.ok(res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body}`);
      return {
        status: res.statusCode,
        body: res.headers['content-type']?.includes('json') ? res.json() : res.body,
      };
    };

    it(checkReplies ? 'every route replies within its response schema' : 'every route replies', async () => {
      const login = await call('POST', '/api/v1/auth/login', { username: 'root', password: PASSWORD });
      assert.equal(login.status, 200);
      const refreshed = await call('POST', '/api/v1/auth/refresh', {
        refresh_token: login.body.refresh_token,
      });
      token = refreshed.body.access_token;
      await call('GET', '/api/v1/auth/me');
      await call('GET', '/health/basic');
      await call('GET', '/health');

      await call('GET', '/api/v1/instruments');
      await call('GET', '/api/v1/instruments/motor');
      await call('GET', '/api/v1/instruments/motor/signals/position');
      await call('PUT', '/api/v1/instruments/motor/signals/mode?wait=false', { value: 'fast' });
      const moved = await call('PUT', '/api/v1/instruments/motor/signals/position', { value: 6 });
      assert.equal(moved.body.value, 6);
      await call('GET', '/api/v1/alarms?state=all');
      await call('GET', '/api/v1/alarms/history');
      await call('GET', '/api/v1/alarms/motor.position');
      const ack = await call('POST', '/api/v1/alarms/motor.position/ack', { comment: 'seen' });
      assert.equal(ack.body.state, 'ack_active');
      await call('POST', '/api/v1/alarms/motor.position/shelve', { reason: 'recalibrating', duration_s: 60 });
      await call('POST', '/api/v1/alarms/motor.position/unshelve', { comment: 'done' });

      await call('POST', '/api/v1/instruments/motor/actions/jog', { args: { delta: 0.5 } });
      await call('POST', '/api/v1/instruments/motor/restart');
      const release = await call('DELETE', '/api/v1/instruments/motor/control');
      assert.deepEqual(
        release.body,
        { ok: true, id: 'motor', released: false },
        'a local instrument has no lease',
      );
      const missing = await call('GET', '/api/v1/instruments/nope');
      assert.equal(missing.status, 404);

      await call('GET', '/api/v1/plans');
      const scan = await call('POST', '/api/v1/runs', {
        plan: 'scan',
        args: { detectors: ['motor.position'], motor: 'motor.position', start: 0, stop: 2, num: 3 },
      });
      await engine.whenFinished(scan.body.uid);
      const running = h.bus.once('run.state', (s) => s.state === 'running');
      const long = await call('POST', '/api/v1/runs', {
        plan: 'count',
        args: { detectors: ['motor.position'], num: 1000, delay: 1 },
      });
      await running;
      const queued = await call('POST', '/api/v1/runs', {
        plan: 'count',
        args: { detectors: ['motor.position'] },
      });
      await call('POST', `/api/v1/runs/${long.body.uid}/pause`, {});
      await call('POST', `/api/v1/runs/${long.body.uid}/resume`, {});
      await call('POST', `/api/v1/runs/${queued.body.uid}/abort`, { reason: 'not needed' });
      await call('POST', `/api/v1/runs/${long.body.uid}/stop`, {});
      await engine.whenFinished(long.body.uid);
      await call('GET', '/api/v1/runs');
      await call('GET', `/api/v1/runs/${scan.body.uid}`);
      await call('GET', `/api/v1/runs/${scan.body.uid}/documents`);
      const file = await call('GET', `/api/v1/runs/${scan.body.uid}/files/run.mem`);
      assert.equal(file.body, 'run data');

      await writeBenchtopSession(
        join(h.dir, 'isi-session.h5'),
        syntheticSession({ width: 12, height: 10, fps: 2, cycles: 2, uint16: true, amplitude: 0.02 }),
      );
      await call('POST', '/api/v1/isi/analysis', {
        session: 'isi-session.h5',
        parameters: { small_patch_px: 5 },
      });
      const analysed = await call('GET', '/api/v1/isi/analysis?id=isi-session.h5&wait=true');
      assert.equal(analysed.body.state, 'done');
      await call('GET', '/api/v1/isi/analysis/layer?id=isi-session.h5&layer=raw_vfs');
      await call('GET', '/api/v1/isi/analysis/composite.png?id=isi-session.h5&layers=azimuth:0.5');

      await call('GET', '/api/v1/history?signals=motor.position');
      await call('GET', '/api/v1/config');
      await call('GET', '/api/v1/system');
      await call('GET', '/api/v1/logs');
      await call('GET', '/api/v1/audit');

      const key = await call('POST', '/api/v1/keys', { name: 'ci', role: 'viewer' });
      // A viewer downloads the results file; h5py (the guide's reader) opens it.
      const download = await app.inject({
        method: 'GET',
        url: '/api/v1/isi/analysis/results.h5?id=isi-session.h5',
        headers: { 'x-api-key': key.body.key },
      });
      assert.equal(download.statusCode, 200, download.body);
      assert.equal(download.headers['content-type'], 'application/x-hdf5');
      if (hasH5py()) {
        const path = join(h.dir, 'downloaded_results.h5');
        writeFileSync(path, download.rawPayload);
        const read = spawnSync(
          PYTHON,
          [
            '-c',
            'import sys, h5py; f = h5py.File(sys.argv[1], "r"); print(f["azimuth_map"].shape, f["areas/label"].shape[0] >= 0)',
            path,
          ],
          { encoding: 'utf8' },
        );
        assert.equal(read.status, 0, read.stderr);
        assert.equal(read.stdout.trim(), '(10, 12) True');
      }
      await call('GET', '/api/v1/keys');
      await call('DELETE', `/api/v1/keys/${key.body.id}`);
      await call('POST', '/api/v1/users', {
        name: 'ada',
        role: 'operator',
        password: 'long-enough-password',
      });
      await call('GET', '/api/v1/users');
      await call('PUT', '/api/v1/users/ada/password', { password: 'another-long-password' });
      await call('DELETE', '/api/v1/users/ada');
      await call('POST', '/api/v1/auth/password', {
        current_password: PASSWORD,
        new_password: 'a-new-password',
      });
      // Changing the password ended every session: log in again, then out.
      token = '';
      const again = await call('POST', '/api/v1/auth/login', {
        username: 'root',
        password: 'a-new-password',
      });
      token = again.body.access_token;
      await call('POST', '/api/v1/auth/logout', { refresh_token: again.body.refresh_token });

      const succeeded = new Set(exchanges.filter((e) => e.status < 300).map((e) => e.route));
      const undriven = routes
        .filter((r) => !r.hidden && !r.url.includes('*'))
        .map((r) => `${r.method} ${r.url}`)
        .filter((r) => !succeeded.has(r));
      assert.deepEqual(undriven, [], 'every documented route answered 2xx at least once');
    });

    // The check itself, and the OpenAPI document: once.
    if (checkReplies) {
      it('a reply with a field its schema does not name fails instead of being trimmed', async () => {
        const probe = await buildServer(h.ctx, { checkReplies: true });
        probe.app.get(
          '/probe',
          {
            config: { public: true },
            schema: {
              response: {
                200: Type.Object({ a: Type.Number() }, { additionalProperties: false }),
                ...ErrorResponses,
              },
            },
          },
          async () => ({ a: 1, extra: true }),
        );
        const wrongType = '/probe-type';
        probe.app.get(
          wrongType,
          { config: { public: true }, schema: { response: { 200: Type.Object({ a: Type.Number() }) } } },
          async () => ({ a: 'one' }),
        );
        try {
          const extra = await probe.app.inject({ method: 'GET', url: '/probe' });
          assert.equal(extra.statusCode, 500);
          assert.match(extra.json().error.message, /does not match its schema.*additional/);
          const typed = await probe.app.inject({ method: 'GET', url: wrongType });
          assert.equal(typed.statusCode, 500);
          assert.match(typed.json().error.message, /must be number/);
        } finally {
          await probe.app.close();
        }
      });

      it('the OpenAPI document is valid and every operation describes its request and responses', async () => {
        const res = await app.inject({
          method: 'GET',
          url: '/api/v1/openapi.json',
          headers: { authorization: `Bearer ${token}` },
        });
        const doc = res.json();
        assert.equal(doc.openapi, '3.1.0');
        await SwaggerParser.validate(structuredClone(doc));
        const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
          ([path, methods]) =>
            Object.entries(methods).map(([method, op]) => ({ id: `${method} ${path}`, op })),
        );
        assert.ok(operations.length >= 38, `${operations.length} operations`);
        const lacking = operations.filter(({ op }) => {
          const ok = op.responses?.['200'] ?? op.responses?.['201'];
          const hasContent = ok?.content && Object.values(ok.content).every((c) => c.schema);
          const hasErrors = op.responses?.['4XX'] ?? op.responses?.['4xx'];
          return !op.summary || !hasContent || !hasErrors;
        });
        assert.deepEqual(
          lacking.map((o) => o.id),
          [],
          'operations without a summary, a success body schema or error replies',
        );
      });
    }
  });

interface Operation {
  summary?: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
