import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverHarness } from '../../test/support/server-harness.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('TLS', () => {
  it(
    'serves HTTPS with the certificate from [server.tls]',
    {
      skip: !hasOpenssl && 'openssl not installed',
    },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'benchtop-tls-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(made.status, 0, made.stderr);
      const h = await serverHarness(`[server.tls]\ncert = "${cert}"\nkey = "${key}"\n`);
      try {
        const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
        assert.match(address, /^https:\/\//);
        const body = await new Promise<string>((resolve, reject) => {
          const req = request(`${address}/health/basic`, { rejectUnauthorized: false }, (res) => {
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end();
        });
        assert.deepEqual(JSON.parse(body), { status: 'ok' });
      } finally {
        await h.close();
      }
    },
  );
});
