import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ConfigError } from '../../config/issues.ts';
import { describeBind } from '../bind-policy.ts';
import { SECURITY_FILE } from './security-store.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const SECURED = `[security]\nauth = "required"\njwt_secret = "${SECRET}"\n`;
const main = join(import.meta.dirname, '../../cli/main.ts');

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-exposure-'));
  const file = join(dir, 'benchtop.toml');
  writeFileSync(file, `[storage]\noutput_dir = "${join(dir, 'data')}"\n${text}`);
  return file;
}

describe('what the server exposes', () => {
  it('a CORS preflight from an allowed origin allows PUT, PATCH and DELETE, without credentials', async () => {
    const h = await serverHarness(`${SECURED}[server]\ncors_origins = ["http://dash.example"]\n`);
    try {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await h.app.inject({
          method: 'OPTIONS',
          url: '/api/v1/instruments/motor/signals/position',
          headers: { origin: 'http://dash.example', 'access-control-request-method': method },
        });
        assert.equal(res.statusCode, 204, res.body);
        assert.equal(res.headers['access-control-allow-origin'], 'http://dash.example');
        assert.ok(String(res.headers['access-control-allow-methods']).split(/,\s*/).includes(method), method);
      }
      const foreign = await h.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/instruments',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' },
      });
      assert.equal(foreign.headers['access-control-allow-origin'], undefined, 'other origins stay closed');
    } finally {
      await h.close();
    }
  });

  it('security.sqlite is created readable by its owner only', async () => {
    const h = await serverHarness(SECURED);
    try {
      assert.equal(statSync(join(h.dir, SECURITY_FILE)).mode & 0o777, 0o600);
    } finally {
      await h.close();
    }
  });

  it('/health details need credentials when auth is required; /health/basic stays public', async () => {
    const h = await serverHarness(SECURED);
    try {
      assert.equal((await h.app.inject({ method: 'GET', url: '/health/basic' })).statusCode, 200);
      const anonymous = await h.app.inject({ method: 'GET', url: '/health' });
      assert.equal(anonymous.statusCode, 401);
      assert.ok(!anonymous.body.includes(h.dir), 'no storage path for strangers');
      const key = h.security.createKey('monitor', 'viewer').key;
      const res = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-api-key': key } });
      assert.ok([200, 503].includes(res.statusCode));
      assert.ok(res.json().checks, 'the details are there for a viewer');
    } finally {
      await h.close();
    }
  });

  it('a too-short jwt_secret says it is too short and the minimum length, without echoing it', () => {
    assert.throws(
      () => loadBenchtopConfig({ text: '[security]\nauth = "required"\njwt_secret = "short-secret"\n' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const text = e.message;
        assert.match(
          text,
          /security\.jwt_secret: too short: needs at least 32 characters, got 12 characters/,
        );
        assert.ok(!text.includes('short-secret'), text);
        return true;
      },
    );
  });

  it('reports the address it is bound to, all interfaces included', () => {
    assert.equal(describeBind('0.0.0.0', 8080, false), 'http://0.0.0.0:8080 (all interfaces)');
    assert.equal(describeBind('::1', 8443, true), 'https://[::1]:8443');
    assert.equal(describeBind('127.0.0.1', 80, false), 'http://127.0.0.1:80');
  });

  it('start-up log names 0.0.0.0 when bound there, not 127.0.0.1', async () => {
    const file = tempConfig(SECURED);
    const child = spawn(
      process.execPath,
      [main, 'start', '--config', file, '--bind', '0.0.0.0', '--port', '0'],
      {
        env: { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const record = JSON.parse(line) as { msg: string };
          if (record.msg.startsWith('Benchtop ready at')) resolve(record.msg);
        });
      });
      assert.match(ready, /^Benchtop ready at http:\/\/0\.0\.0\.0:\d+ \(all interfaces\)$/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('simulators on a non-loopback address are refused without authentication, server and `benchtop sim` alike', () => {
    const file = tempConfig('[simulation]\nenabled = true\nbind_address = "0.0.0.0"\n');
    for (const args of [
      ['start', '--config', file, '--port', '0'],
      ['sim', '--config', file],
    ]) {
      const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });
      assert.notEqual(r.status, 0, args[0]);
      assert.match(
        r.stderr,
        /refusing to listen on 0\.0\.0\.0 without authentication \(simulation\.bind_address\)/,
        `${args[0]}: ${r.stderr}`,
      );
    }
  });
});
