import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { ManualClock } from '../../core/clock.ts';
import { AUDIT_MAX_DEPTH } from './audit-scrub.ts';
import { FREE_FAILURES, LoginBackoff } from './login-backoff.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const secured = (extra = '') => `[security]\nauth = "required"\njwt_secret = "${SECRET}"\n${extra}`;

describe('rate limits cover the auth routes and refused requests', () => {
  it('anonymous 401s are counted: past the limit they get 429, and the audit log stops growing', async () => {
    const h = await serverHarness(`${secured()}[server]\nrate_limit_per_minute = 5\n`);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await h.app.inject({
          method: 'POST',
          url: '/api/v1/keys',
          payload: { name: 'p', role: 'admin' },
        });
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
      const entries = h.security.auditLog({ action: 'key.create' });
      assert.equal(entries.length, 5, 'rate-limited requests leave no entry');
      for (const e of entries) {
        assert.deepEqual([e.actor, e.result], ['anonymous', 'error']);
        assert.equal((e.details as { status: number }).status, 401);
      }
    } finally {
      await h.close();
    }
  });

  it('me, keys, users and audit are limited like every other route', async () => {
    const h = await serverHarness(`${secured()}[server]\nrate_limit_per_minute = 4\n`);
    try {
      const key = h.security.createKey('root', 'admin').key;
      for (const url of ['/api/v1/auth/me', '/api/v1/keys', '/api/v1/users', '/api/v1/audit']) {
        const res = await h.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
        assert.notEqual(res.statusCode, 429, url);
      }
      const res = await h.app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { 'x-api-key': key },
      });
      assert.equal(res.statusCode, 429, 'the fifth call of the key in a minute');
    } finally {
      await h.close();
    }
  });

  it('login is limited per address, and per account after repeated failures whatever the address', async () => {
    const h = await serverHarness(secured('login_attempts_per_minute = 3\n'));
    try {
      await h.security.addUser('ada', 'operator', 'analytical-engine');
      const attempt = (password: string, ip = '10.0.0.1') =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'ada', password },
          remoteAddress: ip,
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await attempt('wrong-password')).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429], 'three per minute from one address');
      // From other addresses: the account itself is now braked after FREE_FAILURES failures.
      for (let i = 3; i < FREE_FAILURES; i++)
        assert.equal((await attempt('wrong-password', `10.0.1.${i}`)).statusCode, 401);
      const braked = await attempt('analytical-engine', '10.0.2.1');
      assert.equal(braked.statusCode, 429, 'even the right password waits');
      assert.match(braked.json().error.message, /too many failed logins for "ada"/);
      assert.ok(braked.json().error.details.retry_after_s >= 1);
    } finally {
      await h.close();
    }
  });

  it('the per-account wait doubles with each failure and a success clears it', () => {
    const clock = new ManualClock();
    const b = new LoginBackoff(clock);
    for (let i = 0; i < FREE_FAILURES - 1; i++) b.failed('ada');
    assert.equal(b.waitMs('ada'), 0);
    b.failed('ada');
    assert.equal(b.waitMs('ada'), 1000);
    b.failed('ada');
    assert.equal(b.waitMs('ada'), 2000);
    assert.equal(b.waitMs('bob'), 0, 'other accounts are not affected');
    b.succeeded('ada');
    assert.equal(b.waitMs('ada'), 0);
  });
});

describe('audit entries record what really happened', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let keys: { viewer: string; operator: string; admin: string };
  before(async () => {
    h = await serverHarness(secured());
    keys = {
      viewer: h.security.createKey('dashboard', 'viewer').key,
      operator: h.security.createKey('script', 'operator').key,
      admin: h.security.createKey('root', 'admin').key,
    };
    await h.security.addUser('ada', 'operator', 'analytical-engine');
  });
  after(async () => h.close());

  const setPosition = (key: string, payload: string | object) =>
    h.app.inject({
      method: 'PUT',
      url: '/api/v1/instruments/motor/signals/position',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload,
    });
  const audit = (query: string) =>
    h.app.inject({ method: 'GET', url: `/api/v1/audit${query}`, headers: { 'x-api-key': keys.admin } });

  it('a signal write records the value before and the value read back', async () => {
    assert.equal((await setPosition(keys.operator, { value: 1 })).statusCode, 200);
    assert.equal((await setPosition(keys.operator, { value: 3 })).statusCode, 200);
    const [last] = h.security.auditLog({ action: 'signal.set' });
    assert.deepEqual((last!.details as { before: number; after: number }).before, 1);
    assert.deepEqual((last!.details as { before: number; after: number }).after, 3);
  });

  it('denied and failed entries store their real status, not 200', async () => {
    assert.equal((await setPosition(keys.viewer, { value: 2 })).statusCode, 403);
    const denied = h.security.auditLog({ action: 'signal.set', actor: 'dashboard' })[0]!;
    assert.equal(denied.result, 'denied');
    assert.equal((denied.details as { status: number }).status, 403);
    assert.equal((await setPosition(keys.operator, { value: 99 })).statusCode, 422);
    const failed = h.security.auditLog({ action: 'signal.set', actor: 'script' })[0]!;
    assert.equal(failed.result, 'error');
    assert.equal((failed.details as { status: number }).status, 422);
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'ada', password: 'wrong-password' },
    });
    assert.equal(login.statusCode, 401);
    assert.equal(
      (h.security.auditLog({ action: 'auth.login' })[0]!.details as { status: number }).status,
      401,
    );
  });

  it('refresh and logout are audited', async () => {
    const tokens = (
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'ada', password: 'analytical-engine' },
      })
    ).json() as { access_token: string; refresh_token: string };
    const refreshed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: tokens.refresh_token },
    });
    assert.equal(refreshed.statusCode, 200);
    const next = refreshed.json() as { access_token: string; refresh_token: string };
    const out = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${next.access_token}` },
      payload: { refresh_token: next.refresh_token },
    });
    assert.equal(out.statusCode, 200);
    const [r] = h.security.auditLog({ action: 'auth.refresh' });
    const [l] = h.security.auditLog({ action: 'auth.logout' });
    assert.deepEqual([r!.actor, r!.result, l!.actor, l!.result], ['ada', 'ok', 'ada', 'ok']);
    assert.ok(!JSON.stringify([r, l]).includes(next.refresh_token), 'tokens are masked');
  });

  it('GET /audit bounds limit and offset with a clear 400', async () => {
    for (const q of ['?limit=-1', '?limit=0', '?limit=100000', '?limit=abc', '?offset=1e20', '?offset=-1']) {
      const res = await audit(q);
      assert.equal(res.statusCode, 400, q);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED', q);
    }
    const two = await audit('?limit=2');
    assert.equal(two.json().length, 2);
    const skipped = await audit('?limit=1&offset=1');
    assert.equal(skipped.json()[0].id, two.json()[1].id);
    assert.equal(h.security.auditLog({ limit: -1 }).length, 1, 'the store clamps too');
  });

  it('a deeply nested body neither overflows the stack nor escapes the audit log', async () => {
    const depth = 200_000;
    const body = `{"value":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const res = await setPosition(keys.operator, body);
    assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body.slice(0, 200)}`);
    const [entry] = h.security.auditLog({ action: 'signal.set' });
    assert.equal((entry!.details as { status: number }).status, res.statusCode);
    const text = JSON.stringify(entry!.details);
    assert.match(text, /nested too deep/);
    assert.ok(text.length < 2000, `details bounded (${text.length} chars, depth ${AUDIT_MAX_DEPTH})`);
  });
});
