import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ManualClock } from '../core/clock.ts';
import { openBuckets } from './buckets.ts';
import { ControlLeases, LeaseRecord } from './control-lease.ts';
import { LeaseView } from './lease-view.ts';
import { decode } from './messages.ts';
import { OperatorLease } from './operator-lease.ts';
import { kvKey } from './subjects.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';

// The operator's lease against the real bucket, in one process: what the agent, a hub and the
// operator's command each do with it (operator-lease.test.ts runs them as processes).

const nats = new PrivateNatsServer();
let nc: NatsConnection;
let kv: KV;

before(async () => {
  await nats.start();
  nc = await connect({ servers: nats.url });
  kv = (await openBuckets(nc, 'oplease')).leases;
});

after(async () => {
  await nc.close();
  await nats.dispose();
});

const stored = async (instrument: string): Promise<LeaseRecord | null> => {
  const entry = await kv.get(kvKey(instrument));
  return entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
};

test('the agent refuses every hub while an operator holds the lease, from its copy and from the bucket', async () => {
  const clock = new ManualClock();
  const operator = new OperatorLease('stage', {
    kv,
    clock,
    agent: 'host1',
    operator: 'alice',
    note: 'aligning',
    ttlMs: 60_000,
    hubTtlMs: 3_000,
  });
  const view = new LeaseView(kv);
  await view.start();
  try {
    const seen = view.nextChange();
    await operator.take();
    await seen;
    await assert.rejects(view.check('stage', 'hub1'), {
      code: 'CONTROL_LEASE_HELD',
      message: /stage is controlled by operator alice at agent host1 \("aligning"\), not hub1/,
    });
    // Even a hub that happened to send the operator's holder string is refused.
    await assert.rejects(view.check('stage', operator.holder), { code: 'CONTROL_LEASE_HELD' });
    assert.equal(view.counts.fromCopy, 0, 'a local lease is never an acceptance from the copy');
    const hub = new ControlLeases({ kv, holder: 'hub1', clock, ttlMs: 3_000 });
    await assert.rejects(hub.ensure('stage'), {
      code: 'CONTROL_LEASE_HELD',
      message: /operator alice at agent host1 .*lease renewed 0 s ago.*benchtop agent lease take/,
    });
    // Past the hubs' TTL but within the operator's own: still held.
    await clock.advance(10_000);
    await assert.rejects(hub.ensure('stage'), { code: 'CONTROL_LEASE_HELD' });
  } finally {
    view.stop();
  }
  assert.equal(await operator.release(), true);
  assert.equal(await stored('stage'), null, 'released');
});

test("the operator's lease is renewed by revision, lapses when it is not, and a takeover is noticed", async () => {
  const clock = new ManualClock();
  const operator = new OperatorLease('meter', {
    kv,
    clock,
    agent: 'host1',
    operator: 'bob',
    ttlMs: 6_000,
    hubTtlMs: 3_000,
  });
  const taken = await operator.take();
  assert.deepEqual(taken.local, { agent: 'host1', operator: 'bob' });
  await clock.advance(2_000);
  assert.equal(await operator.renew(), 'renewed');
  assert.equal((await stored('meter'))?.renewedAt, clock.now());

  const hub = new ControlLeases({ kv, holder: 'hub1', clock, ttlMs: 3_000 });
  await clock.advance(5_000);
  await assert.rejects(hub.ensure('meter'), { code: 'CONTROL_LEASE_HELD' }, 'within its own 6 s');
  await clock.advance(1_001);
  assert.equal(await hub.ensure('meter'), 'hub1', 'lapsed: the hub takes it over');
  assert.equal(await operator.renew(), 'lost');
  assert.equal(await operator.release(), false, 'no longer ours');
  assert.equal((await stored('meter'))?.holder, 'hub1', "a lost lease's release leaves the new holder's");

  const again = new OperatorLease('meter', {
    kv,
    clock,
    agent: 'host1',
    operator: 'bob',
    ttlMs: 6_000,
    hubTtlMs: 3_000,
  });
  await assert.rejects(again.take(), {
    code: 'CONTROL_LEASE_HELD',
    message: /meter is controlled by hub1 \(lease renewed 0 s ago, lapses in 3 s/,
  });
  await hub.releaseAll();
});

test('a second operator is refused a lease the first holds', async () => {
  const clock = new ManualClock();
  const options = { kv, clock, agent: 'host1', ttlMs: 6_000, hubTtlMs: 3_000 };
  const first = new OperatorLease('laser', { ...options, operator: 'alice' });
  await first.take();
  try {
    await assert.rejects(new OperatorLease('laser', { ...options, operator: 'alice' }).take(), {
      code: 'CONTROL_LEASE_HELD',
      message: /operator alice at agent host1/,
    });
  } finally {
    await first.release();
  }
});
