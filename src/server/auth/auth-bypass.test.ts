import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, RouteOptions } from 'fastify';
import WebSocket from 'ws';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { AlarmService } from '../../alarms/alarm-service.ts';
import { AlarmStore } from '../../alarms/alarm-store.ts';
import { AlarmEntry } from '../../config/schema.ts';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { RunEngine } from '../../engine/run-engine.ts';
import { MemoryWriter } from '../../engine/testing/fake-lab.ts';
import { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import { SqliteTimeSeriesStore } from '../../storage/timeseries/sqlite-timeseries-store.ts';
import { buildServer } from '../server.ts';

const SECURED = '[security]\nauth = "required"\njwt_secret = "test-secret-0123456789abcdef0123456789"\n';

/** Route parameters filled with values that exist, so a handler that was reached would succeed. */
const PARAMS: Record<string, string> = { id: 'motor', signal: 'position', action: 'jog', name: 'ada' };
const BODIES: Record<string, object> = {
  '/api/v1/keys': { name: 'p', role: 'admin' },
  '/api/v1/instruments/:id/signals/:signal': { value: 1 },
  '/api/v1/users': { name: 'mallory', role: 'admin', password: 'long-enough-password' },
};

/** `/%61pi/v1/…`: the first letter of every segment percent-encoded, which the router decodes. */
const encodeSegments = (path: string, percent: (hex: string) => string) =>
  path
    .split('/')
    .map((seg) =>
      seg === '' ? seg : `${percent(seg.charCodeAt(0).toString(16).padStart(2, '0'))}${seg.slice(1)}`,
    )
    .join('/');

/** The request-target variants an attacker tries for one path. */
function variants(path: string): string[] {
  return [
    path,
    encodeSegments(path, (hex) => `%${hex}`),
    encodeSegments(path, (hex) => `%${hex.toUpperCase()}`),
    encodeSegments(path, (hex) => `%25${hex}`),
    `${path}/`,
    `${encodeSegments(path, (hex) => `%${hex}`)}/`,
    `/${path}`,
    `${path}?x=1`,
  ];
}

/** Sends one raw HTTP/1.1 request (absolute-form target, exactly as written) and returns its status. */
function rawStatus(port: number, method: string, target: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    const head = [
      `${method} ${target} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Connection: close',
      ...(body ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`] : []),
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n${body ?? ''}`);
  });
}

describe('authentication bypass probes (auth required, no credentials)', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: FastifyInstance;
  let port: number;
  const routes: { method: string; url: string; isPublic: boolean; websocket: boolean }[] = [];
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    h = await serverHarness(SECURED);
    await h.security.addUser('ada', 'operator', 'analytical-engine');
    // Every route plugin registered: runs, history and alarms too, not only the harness's few.
    const catalog = RunCatalog.inOutputDir(h.dir);
    const engine = new RunEngine({
      instruments: h.ctx.instruments,
      bus: h.bus,
      clock: systemClock,
      writerFactory: (_start, report) => new MemoryWriter(report),
      recorder: catalog,
      config: h.ctx.config,
    });
    const alarmStore = AlarmStore.inOutputDir(h.dir);
    const alarms = new AlarmService({
      alarms: [Value.Default(AlarmEntry, { signal: 'motor.position', high: 5, priority: 'high' }) as never],
      instruments: [{ id: 'motor', type: 'FakeMotor' }],
      bus: h.bus,
      clock: systemClock,
      store: alarmStore,
      logger: silentLogger(),
    });
    const timeseries = SqliteTimeSeriesStore.inOutputDir(h.dir);
    const onRoute = (r: RouteOptions) => {
      for (const method of [r.method].flat())
        routes.push({
          method,
          url: r.url,
          isPublic: (r.config as { public?: boolean } | undefined)?.public === true,
          websocket: (r as { websocket?: boolean }).websocket === true,
        });
    };
    ({ app } = await buildServer(
      { ...h.ctx, engine, catalog, alarms, timeseries },
      { onRoute, checkReplies: true },
    ));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
    cleanups.push(
      () => app.close(),
      () => engine.shutdown(),
      () => catalog.close(),
      () => alarmStore.close(),
      () => timeseries.close(),
    );
  });
  after(async () => {
    for (const c of cleanups) await c();
    await h.close();
  });

  const concrete = (url: string) =>
    url.replace(/:(\w+)/g, (_m, name: string) => PARAMS[name] ?? 'x').replace(/\*$/, 'x');
  const guarded = () => routes.filter((r) => !r.isPublic);

  it('collects the routes of every plugin, and only login, refresh, liveness and the dashboard are public', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const u of ['/api/v1/keys', '/api/v1/config', '/api/v1/runs', '/api/v1/alarms', '/api/v1/stream'])
      assert.ok(urls.has(u), `${u} registered`);
    assert.ok(urls.has('/health'));
    const publicUrls = [...new Set(routes.filter((r) => r.isPublic).map((r) => r.url))].sort();
    assert.deepEqual(publicUrls, ['/*', '/api/v1/auth/login', '/api/v1/auth/refresh', '/health/basic']);
  });

  it('answers 401 or 404, never anything else, to every route under every encoding of its path', async () => {
    const failures: string[] = [];
    let probes = 0;
    for (const route of guarded()) {
      if (route.method === 'OPTIONS') continue;
      const path = concrete(route.url);
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)
        ? (BODIES[route.url] ?? {})
        : undefined;
      for (const url of variants(path)) {
        probes++;
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          ...(body ? { payload: body } : {}),
        });
        if (res.statusCode !== 401 && res.statusCode !== 404)
          failures.push(`${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 80)}`);
      }
    }
    assert.ok(probes > 200, `${probes} probes`);
    assert.deepEqual(failures, []);
    assert.equal(h.security.listKeys().length, 0, 'no key was created');
    assert.deepEqual(
      h.security.listUsers().map((u) => u.name),
      ['ada'],
      'no user was created or removed',
    );
  });

  it('answers 401 or 404 to absolute-form request targets on a raw socket', async () => {
    const failures: string[] = [];
    for (const route of guarded()) {
      if (route.method === 'OPTIONS' || route.websocket) continue;
      const path = concrete(route.url);
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)
        ? JSON.stringify(BODIES[route.url] ?? {})
        : undefined;
      for (const target of [
        `http://x${path}`,
        `http://x${encodeSegments(path, (hex) => `%${hex}`)}`,
        `http://127.0.0.1:${port}${path}`,
      ]) {
        const status = await rawStatus(port, route.method, target, body);
        if (status !== 401 && status !== 404) failures.push(`${route.method} ${target} → ${status}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(await rawStatus(port, 'GET', 'http://x/api/v1/config'), 401);
  });

  it('refuses the WebSocket upgrade under an encoded path: nothing opens, nothing streams', async () => {
    for (const path of ['/api/v1/stream', '/%61pi/v1/stream', '/api/v1/%73tream', '/%61pi/%76%31/stream']) {
      const outcome = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
        ws.on('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', (e) => resolve(`error ${e.message}`));
      });
      assert.equal(outcome, 'HTTP 401', path);
    }
  });

  it('the API answers with credentials under the same encoded path (the probe is real)', async () => {
    const key = h.security.createKey('root', 'admin').key;
    const res = await app.inject({ method: 'GET', url: '/%61pi/v1/config', headers: { 'x-api-key': key } });
    assert.equal(res.statusCode, 200);
    h.security.revokeKey(h.security.listKeys()[0]!.id);
  });
});
