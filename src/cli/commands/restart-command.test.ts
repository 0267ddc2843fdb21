import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import type { ActorStateChange } from '../../core/actor-state.ts';

const main = join(import.meta.dirname, '..', 'main.ts');

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

describe('benchtop restart INSTRUMENT', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let url: string;
  const states: ActorStateChange[] = [];
  before(async () => {
    h = await serverHarness();
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    h.bus.on('actor.state', (c) => states.push(c));
  });
  after(async () => h.close());

  it('restarts the instrument on the server and prints the state it came back in', async () => {
    const res = await cli(['restart', 'motor', '--url', url]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'motor: ready → ready');
    assert.deepEqual(
      states.map((c) => c.state),
      ['stopping', 'starting', 'ready'],
    );
    assert.equal(h.security.auditLog({ action: 'instrument.restart' })[0]?.result, 'ok');
  });

  it('an unknown instrument is an error naming it, exit status 1', async () => {
    const res = await cli(['restart', 'laser', '--url', url]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /no instrument "laser"/);
  });
});
