import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import type { ActorStateChange } from '../../core/actor-state.ts';

const SECURED = `[security]\nauth = "required"\njwt_secret = "${'r'.repeat(48)}"\n`;

describe('POST /api/v1/instruments/{id}/restart: the operator restarts an instrument', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let keys: Record<'viewer' | 'operator', string>;
  const states: ActorStateChange[] = [];
  before(async () => {
    h = await serverHarness(SECURED);
    keys = {
      viewer: h.security.createKey('dashboard', 'viewer').key,
      operator: h.security.createKey('night-shift', 'operator').key,
    };
    h.bus.on('actor.state', (c) => states.push(c));
  });
  after(async () => h.close());

  const restart = (id: string, key: string) =>
    h.app.inject({ method: 'POST', url: `/api/v1/instruments/${id}/restart`, headers: { 'x-api-key': key } });

  it('reconnects the instrument afresh and audits who did it', async () => {
    const res = await restart('motor', keys.operator);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([res.json().previous, res.json().state], ['ready', 'ready']);
    assert.deepEqual(
      states.filter((c) => c.id === 'motor').map((c) => c.state),
      ['stopping', 'starting', 'ready'],
    );
    const entry = h.security.auditLog({ action: 'instrument.restart' })[0]!;
    assert.deepEqual(
      [entry.actor, entry.role, entry.result, entry.target],
      ['night-shift', 'operator', 'ok', 'motor'],
    );
  });

  it('a viewer may not restart; the refusal is audited; an unknown instrument is 404', async () => {
    states.length = 0;
    const denied = await restart('motor', keys.viewer);
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(states, [], 'nothing was restarted');
    assert.equal(h.security.auditLog({ action: 'instrument.restart' })[0]!.result, 'denied');
    const unknown = await restart('laser', keys.operator);
    assert.deepEqual([unknown.statusCode, unknown.json().error.code], [404, 'INSTRUMENT_NOT_FOUND']);
  });
});
