import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { dashboardPlugin } from './dashboard-plugin.ts';
import { installErrorReplies } from './error-reply.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-dashboard-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A server with only the dashboard plugin (and the API's error replies) over a directory. */
async function serve(dist: string) {
  const app = Fastify();
  installErrorReplies(app);
  app.get('/api/v1/instruments', async () => []);
  await app.register(dashboardPlugin({ root: dist, reservedPrefixes: ['/api', '/health', '/metrics'] }));
  return app;
}

function built(): string {
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Benchtop</title><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'not served');
  return dist;
}

describe('dashboard static serving', () => {
  it('serves index.html at / and for the app routes, so a reload keeps the page', async () => {
    const app = await serve(built());
    for (const url of ['/', '/instruments/laser', '/runs/0b1c?compare=a,b']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.body, /<div id="root">/);
      assert.equal(res.headers['cache-control'], 'no-cache');
    }
    await app.close();
  });

  it('serves hashed assets as immutable', async () => {
    const app = await serve(built());
    const res = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'console.log(1)');
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    await app.close();
  });

  it('keeps JSON 404s for the API, missing files and paths outside the build', async () => {
    const app = await serve(built());
    for (const url of [
      '/api/v1/nothing',
      '/api',
      '/health/nothing',
      '/metrics/x',
      '/assets/gone.js',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
    ]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'NOT_FOUND', url);
    }
    assert.equal((await app.inject({ url: '/api/v1/instruments' })).statusCode, 200);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/instruments/laser' })).json().error.code,
      'NOT_FOUND',
    );
    await app.close();
  });

  it('says how to build the dashboard when web/dist is missing', async () => {
    const app = await serve(join(root, 'not-built'));
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:web/);
    assert.equal((await app.inject({ url: '/api/v1/nothing' })).statusCode, 404);
    await app.close();
  });
});
