import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../test/support/server-harness.ts';

const main = join(import.meta.dirname, 'main.ts');

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('CLI client: get / set / call / watch against a running server', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let url: string;
  before(async () => {
    h = await serverHarness();
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => h.close());

  it('set types the value from the description and waits; get reads it back', async () => {
    const set = await cli(['set', 'motor.position', '3', '--url', url]);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'motor.position 3 mm');
    const get = await cli(['get', 'motor.position', '--url', url]);
    assert.equal(get.stdout.trim(), 'motor.position 3 mm');
  });

  it('call passes key=value arguments', async () => {
    const r = await cli(['call', 'motor.jog', 'delta=0.5', '--url', url]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'motor.jog {"moved":0.5}');
  });

  it('an out-of-range value fails with the server message and exit code 1', async () => {
    const r = await cli(['set', 'motor.position', '50', '--url', url]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /motor\.position: 50 mm is out of range \(allowed -10\.\.10 mm\)/);
  });

  it('watch prints live updates', async () => {
    const watching = cli(['watch', 'motor.position', '--count', '1', '--url', url]);
    let exited = false;
    void watching.then(() => {
      exited = true;
    });
    // Publish readings until the watcher has printed one and exited (bounded).
    for (let i = 0; i < 500 && !exited; i++) {
      await h.instrument.read('position');
      await new Promise((r) => setTimeout(r, 10));
    }
    const r = await watching;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d{4}-\d\d-\d\dT.* motor\.position 3\.5 mm$/m);
  });

  it('an unreachable server is a clear error', async () => {
    const r = await cli(['get', 'motor.position', '--url', 'http://127.0.0.1:1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot reach Benchtop at http:\/\/127\.0\.0\.1:1/);
  });
});
