import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { signToken, verifyToken } from './jwt.ts';
import { hashPassword, verifyPassword } from './password.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const SECURED = `[security]\nauth = "required"\njwt_secret = "${SECRET}"\n`;

describe('JWT and passwords', () => {
  it('verifies its own tokens and rejects expired, tampered and foreign ones', () => {
    const token = signToken({ sub: 'ada', role: 'operator', iat: 100, exp: 200, typ: 'access' }, SECRET);
    assert.equal((verifyToken(token, SECRET, 150) as { sub: string }).sub, 'ada');
    assert.deepEqual(verifyToken(token, SECRET, 200), { invalid: 'token expired' });
    assert.deepEqual(verifyToken(token, 'other-secret', 150), { invalid: 'bad signature' });
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'ada', role: 'admin', iat: 100, exp: 200, typ: 'access' }),
    ).toString('base64url');
    assert.deepEqual(verifyToken(`${h}.${forged}.${s}`, SECRET, 150), { invalid: 'bad signature' });
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    assert.deepEqual(verifyToken(`${none}.${p}.`, SECRET, 150), { invalid: 'unsupported token header' });
  });

  it('hashes passwords with scrypt and a salt', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.notEqual(a, b);
    assert.ok(a.startsWith('scrypt$'));
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('wrong horse', a), false);
  });
});

describe('authentication and roles', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let keys: Record<'viewer' | 'operator' | 'admin', string>;
  before(async () => {
    h = await serverHarness(SECURED);
    keys = {
      viewer: h.security.createKey('dashboard', 'viewer').key,
      operator: h.security.createKey('beamline-script', 'operator').key,
      admin: h.security.createKey('root', 'admin').key,
    };
    await h.security.addUser('ada', 'operator', 'analytical-engine');
  });
  after(async () => h.close());

  const call = (
    method: 'GET' | 'PUT' | 'POST',
    url: string,
    headers: Record<string, string> = {},
    payload?: object,
  ) => h.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  it('refuses requests without credentials, but health stays public', async () => {
    const res = await call('GET', '/api/v1/instruments');
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'UNAUTHORIZED');
    assert.equal((await call('GET', '/health/basic')).statusCode, 200);
    assert.equal((await call('GET', '/metrics')).statusCode, 401);
    assert.equal((await call('GET', '/metrics', { authorization: `Bearer ${keys.viewer}` })).statusCode, 200);
  });

  it('a viewer reads but may not control; the refusal is audited', async () => {
    assert.equal((await call('GET', '/api/v1/instruments', { 'x-api-key': keys.viewer })).statusCode, 200);
    const res = await call(
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { 'x-api-key': keys.viewer },
      { value: 1 },
    );
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'FORBIDDEN');
    const entry = h.security.auditLog({ action: 'signal.set' })[0]!;
    assert.deepEqual(
      [entry.actor, entry.role, entry.result, entry.target],
      ['dashboard', 'viewer', 'denied', 'motor.position'],
    );
  });

  it('an operator controls instruments and every action is audited with who, what and the result', async () => {
    const ok = await call(
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { 'x-api-key': keys.operator },
      { value: 2 },
    );
    assert.equal(ok.statusCode, 200);
    const bad = await call(
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { 'x-api-key': keys.operator },
      { value: 99 },
    );
    assert.equal(bad.statusCode, 422);
    const [refused, done] = h.security.auditLog({ actor: 'beamline-script' });
    assert.deepEqual(
      [done!.action, done!.result, (done!.details as { body: { value: number } }).body.value],
      ['signal.set', 'ok', 2],
    );
    assert.equal(refused!.result, 'error');
    assert.match(refused!.error!, /out of range/);
  });

  it('only an admin manages keys and users and reads the audit log', async () => {
    assert.equal((await call('GET', '/api/v1/keys', { 'x-api-key': keys.operator })).statusCode, 403);
    const created = await call(
      'POST',
      '/api/v1/keys',
      { 'x-api-key': keys.admin },
      { name: 'ci', role: 'viewer' },
    );
    assert.equal(created.statusCode, 200);
    const { key, id } = created.json();
    assert.equal((await call('GET', '/api/v1/instruments', { 'x-api-key': key })).statusCode, 200);
    assert.equal(
      (
        await h.app.inject({
          method: 'DELETE',
          url: `/api/v1/keys/${id}`,
          headers: { 'x-api-key': keys.admin },
        })
      ).statusCode,
      200,
    );
    assert.equal(
      (await call('GET', '/api/v1/instruments', { 'x-api-key': key })).statusCode,
      401,
      'revoked key',
    );
    const audit = await call('GET', '/api/v1/audit?action=key.create', { 'x-api-key': keys.admin });
    assert.equal(audit.json()[0].actor, 'root');
    assert.equal(audit.json()[0].details.body.name, 'ci');
  });

  it('users log in for a JWT, refresh tokens rotate, wrong passwords are refused', async () => {
    assert.equal(
      (await call('POST', '/api/v1/auth/login', {}, { username: 'ada', password: 'nope-nope' })).statusCode,
      401,
    );
    assert.equal(
      (await call('POST', '/api/v1/auth/login', {}, { username: 'nobody', password: 'nope-nope' }))
        .statusCode,
      401,
    );
    const login = await call(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'ada', password: 'analytical-engine' },
    );
    assert.equal(login.statusCode, 200);
    const tokens = login.json();
    assert.equal(tokens.role, 'operator');
    const me = await call('GET', '/api/v1/auth/me', { authorization: `Bearer ${tokens.access_token}` });
    assert.deepEqual([me.json().name, me.json().role], ['ada', 'operator']);
    assert.equal(
      (
        await call(
          'POST',
          '/api/v1/instruments/motor/actions/jog',
          { authorization: `Bearer ${tokens.access_token}` },
          { args: { delta: 0.1 } },
        )
      ).statusCode,
      200,
    );
    const refreshed = await call('POST', '/api/v1/auth/refresh', {}, { refresh_token: tokens.refresh_token });
    assert.equal(refreshed.statusCode, 200);
    assert.equal(
      (await call('POST', '/api/v1/auth/refresh', {}, { refresh_token: tokens.refresh_token })).statusCode,
      401,
      'a refresh token works once',
    );
    assert.equal(
      (await call('GET', '/api/v1/instruments', { authorization: 'Bearer garbage.token.here' })).statusCode,
      401,
    );
    assert.equal(h.security.auditLog({ action: 'auth.login' }).filter((e) => e.result === 'error').length, 2);
    assert.ok(
      !JSON.stringify(h.security.auditLog({ action: 'auth.login' })).includes('analytical-engine'),
      'passwords never reach the audit log',
    );
  });

  it('the WebSocket requires credentials too (query parameter for browsers)', async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ws = address.replace('http', 'ws');
    const refused = await new Promise<number>((resolve) => {
      const c = new WebSocket(`${ws}/api/v1/stream`);
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      c.on('open', () => resolve(101));
    });
    assert.equal(refused, 401);
    const accepted = await new Promise<number>((resolve) => {
      const c = new WebSocket(`${ws}/api/v1/stream?api_key=${encodeURIComponent(keys.viewer)}`);
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      c.on('open', () => {
        c.close();
        resolve(101);
      });
    });
    assert.equal(accepted, 101);
  });
});

describe('rate limiting', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  before(async () => {
    h = await serverHarness('[server]\nrate_limit_per_minute = 5\n');
  });
  after(async () => h.close());

  it('answers 429 RATE_LIMITED past the limit, with the error shape', async () => {
    const statuses: number[] = [];
    let last: { error: { code: string; details: { retry_after_s: number } } } | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/instruments' });
      statuses.push(res.statusCode);
      last = res.json();
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(last!.error.code, 'RATE_LIMITED');
    assert.ok(last!.error.details.retry_after_s > 0);
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/health/basic' })).statusCode,
      200,
      'health is not limited',
    );
  });
});

describe('without authentication (loopback only)', () => {
  it('everyone is the local admin and actions are still audited', async () => {
    const h = await serverHarness();
    try {
      const res = await h.app.inject({
        method: 'PUT',
        url: '/api/v1/instruments/motor/signals/position',
        payload: { value: 1 },
      });
      assert.equal(res.statusCode, 200);
      const [entry] = h.security.auditLog();
      assert.deepEqual(
        [entry!.actor, entry!.role, entry!.action, entry!.result],
        ['local', 'admin', 'signal.set', 'ok'],
      );
    } finally {
      await h.close();
    }
  });
});
