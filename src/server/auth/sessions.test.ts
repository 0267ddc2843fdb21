import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { SecurityStore } from './security-store.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789';
// Many logins in one minute from one address: the login limit has its own test.
const SECURED = `[security]\nauth = "required"\njwt_secret = "${SECRET}"\nlogin_attempts_per_minute = 100\n`;
const main = join(import.meta.dirname, '../../cli/main.ts');

/** A subscribed stream: resolves `closed` with the close code, counts readings after a mark. */
async function openStream(url: string) {
  const ws = new WebSocket(url);
  const readings: number[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(String(data)) as { type: string; value: number };
    if (m.type === 'reading') readings.push(m.value);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const subscribed = new Promise((resolve) =>
    ws.on('message', (d) => String(d).includes('"subscribed"') && resolve(null)),
  );
  ws.send(JSON.stringify({ type: 'subscribe', signals: ['motor.position'], max_rate_hz: 100 }));
  await subscribed;
  return { ws, readings, closed };
}

describe('tokens and streams do not outlive their key or user', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let admin: string;
  let wsBase: string;
  before(async () => {
    h = await serverHarness(SECURED);
    admin = h.security.createKey('root', 'admin').key;
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    wsBase = `${address.replace('http', 'ws')}/api/v1/stream`;
  });
  after(async () => h.close());

  const login = async (username: string, password: string) => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { access_token: string; refresh_token: string; role: string };
  };
  const write = (token: string, value: number) =>
    h.app.inject({
      method: 'PUT',
      url: '/api/v1/instruments/motor/signals/position',
      headers: { authorization: `Bearer ${token}` },
      payload: { value },
    });
  const asAdmin = (method: 'DELETE' | 'PUT' | 'POST', url: string, payload?: object) =>
    h.app.inject({ method, url, headers: { 'x-api-key': admin }, ...(payload ? { payload } : {}) });

  it("a deleted user's access token stops writing at once", async () => {
    await h.security.addUser('bob', 'operator', 'bobs-password');
    const { access_token } = await login('bob', 'bobs-password');
    assert.equal((await write(access_token, 1)).statusCode, 200);
    assert.equal((await asAdmin('DELETE', '/api/v1/users/bob')).statusCode, 200);
    const res = await write(access_token, 2);
    assert.equal(res.statusCode, 401);
    assert.match(res.json().error.message, /no longer valid/);
  });

  it('a user re-created as viewer does not keep the operator rights of an old token', async () => {
    await h.security.addUser('carol', 'operator', 'carols-password');
    const old = await login('carol', 'carols-password');
    h.security.removeUser('carol');
    await h.security.addUser('carol', 'viewer', 'carols-password');
    assert.equal((await write(old.access_token, 1)).statusCode, 401, 'the old token is stale');
    const fresh = await login('carol', 'carols-password');
    assert.equal(fresh.role, 'viewer');
    assert.equal((await write(fresh.access_token, 1)).statusCode, 403);
  });

  it('revoking a key closes its open stream at once: no reading arrives after', async () => {
    const created = await asAdmin('POST', '/api/v1/keys', { name: 'dash', role: 'viewer' });
    const { id, key } = created.json() as { id: string; key: string };
    const s = await openStream(`${wsBase}?api_key=${encodeURIComponent(key)}`);
    await h.instrument.write('position', 1);
    await h.instrument.read('position');
    assert.equal((await asAdmin('DELETE', `/api/v1/keys/${id}`)).statusCode, 200);
    assert.equal(await s.closed, 1008);
    const before = s.readings.length;
    for (let v = 2; v < 5; v++) {
      await h.instrument.write('position', v);
      await h.instrument.read('position');
    }
    assert.equal(s.readings.length, before, 'nothing streamed after the revocation');
  });

  it("removing a user closes the streams opened with the user's token", async () => {
    await h.security.addUser('dave', 'viewer', 'daves-password');
    const { access_token } = await login('dave', 'daves-password');
    const s = await openStream(`${wsBase}?token=${access_token}`);
    assert.equal((await asAdmin('DELETE', '/api/v1/users/dave')).statusCode, 200);
    assert.equal(await s.closed, 1008);
  });

  it('changing your password ends every session: old access and refresh tokens, open streams', async () => {
    await h.security.addUser('erin', 'operator', 'erins-password');
    const first = await login('erin', 'erins-password');
    const s = await openStream(`${wsBase}?token=${first.access_token}`);
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { authorization: `Bearer ${first.access_token}` },
      payload: { current_password: 'not-her-password', new_password: 'erins-new-password' },
    });
    assert.equal(wrong.statusCode, 401, 'the current password is required');
    const changed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { authorization: `Bearer ${first.access_token}` },
      payload: { current_password: 'erins-password', new_password: 'erins-new-password' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(await s.closed, 1008);
    assert.equal((await write(first.access_token, 1)).statusCode, 401);
    const refresh = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: first.refresh_token },
    });
    assert.equal(refresh.statusCode, 401);
    const relog = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'erin', password: 'erins-password' },
    });
    assert.equal(relog.statusCode, 401, 'the old password is gone');
    assert.equal((await write((await login('erin', 'erins-new-password')).access_token, 1)).statusCode, 200);
    const entry = h.security.auditLog({ action: 'user.password' })[0]!;
    assert.equal(entry.result, 'ok');
    assert.ok(!JSON.stringify(h.security.auditLog()).includes('erins-new-password'));
  });

  it('an admin resets a password, which ends that user’s sessions', async () => {
    await h.security.addUser('frank', 'operator', 'franks-password');
    const { access_token } = await login('frank', 'franks-password');
    assert.equal(
      (await asAdmin('PUT', '/api/v1/users/frank/password', { password: 'reset-by-admin' })).statusCode,
      200,
    );
    assert.equal((await write(access_token, 1)).statusCode, 401);
    await login('frank', 'reset-by-admin');
    assert.equal(
      (await asAdmin('PUT', '/api/v1/users/nobody/password', { password: 'reset-by-admin' })).statusCode,
      404,
    );
  });

  it('a change made by another process (the CLI) is seen: token refused, stream closed', async () => {
    await h.security.addUser('gina', 'operator', 'ginas-password');
    const { access_token } = await login('gina', 'ginas-password');
    const s = await openStream(`${wsBase}?token=${access_token}`);
    const other = SecurityStore.inOutputDir(h.dir);
    try {
      assert.equal(other.removeUser('gina'), true);
    } finally {
      other.close();
    }
    assert.equal((await write(access_token, 1)).statusCode, 401, 'seen on the next request');
    assert.equal(await s.closed, 1008, 'and the open stream is closed');
  });

  it('`benchtop users passwd NAME` reads the password from stdin and ends the sessions', async () => {
    await h.security.addUser('hugo', 'operator', 'hugos-password');
    const { access_token } = await login('hugo', 'hugos-password');
    const file = join(h.dir, 'benchtop.toml');
    writeFileSync(file, `[storage]\noutput_dir = "${h.dir}"\n`);
    const r = spawnSync(process.execPath, [main, 'users', 'passwd', 'hugo', '--config', file], {
      input: 'hugos-new-password\n',
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((await write(access_token, 1)).statusCode, 401);
    await login('hugo', 'hugos-new-password');
    const missing = spawnSync(process.execPath, [main, 'users', 'passwd', 'nobody', '--config', file], {
      input: 'whatever-password\n',
      encoding: 'utf8',
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no user nobody/);
  });
});
