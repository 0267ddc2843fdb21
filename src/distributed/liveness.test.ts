import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimInstrument, judgeLiveness } from './liveness.ts';
import type { AgentBirth, InstrumentRecord } from './messages.ts';

const birth = (agentId: string, lastHeartbeat: number, status: 'alive' | 'dead' = 'alive'): AgentBirth => ({
  v: 1,
  agentId,
  site: 'lab',
  host: `${agentId}.local`,
  version: '0',
  epoch: 1,
  instruments: ['meter'],
  clock: 0,
  status,
  lastHeartbeat,
});
const record = (agentId: string): InstrumentRecord => ({
  v: 1,
  id: 'meter',
  type: 'Newport1830C',
  agentId,
  host: `${agentId}.local`,
  epoch: 1,
  description: {},
});

test('liveness comes from the heartbeat age and the death certificate', () => {
  assert.equal(judgeLiveness(null, 10_000, 6_000), 'dead');
  assert.equal(judgeLiveness(birth('a', 5_000), 10_000, 6_000), 'alive');
  assert.equal(judgeLiveness(birth('a', 3_000), 10_000, 6_000), 'stale');
  assert.equal(judgeLiveness(birth('a', 9_000, 'dead'), 10_000, 6_000), 'dead');
});

test('an id held by another live agent is refused, naming the owner', () => {
  const decision = claimInstrument('meter', 'host1', record('host2'), birth('host2', 9_000), 10_000, 6_000);
  assert.equal(decision.action, 'refuse');
  assert.match(
    decision.action === 'refuse' ? decision.message : '',
    /"meter" is already registered by agent "host2"/,
  );
});

test('a free id is created, an own one updated, a dead or stale owner taken over', () => {
  assert.deepEqual(claimInstrument('meter', 'host1', null, null, 10_000, 6_000), { action: 'create' });
  assert.deepEqual(claimInstrument('meter', 'host1', record('host1'), null, 10_000, 6_000), {
    action: 'update',
    takeover: null,
  });
  assert.deepEqual(claimInstrument('meter', 'host1', record('host2'), birth('host2', 1_000), 10_000, 6_000), {
    action: 'update',
    takeover: 'host2',
  });
  assert.deepEqual(
    claimInstrument('meter', 'host1', record('host2'), birth('host2', 9_999, 'dead'), 10_000, 6_000),
    { action: 'update', takeover: 'host2' },
  );
});
