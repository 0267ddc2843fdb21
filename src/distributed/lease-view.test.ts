import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openBuckets } from './buckets.ts';
import type { LeaseRecord } from './control-lease.ts';
import { LeaseRecord as LeaseSchema } from './control-lease.ts';
import { LeaseView } from './lease-view.ts';
import { encode } from './messages.ts';
import { kvKey } from './subjects.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';

const nats = new PrivateNatsServer();
let nc: NatsConnection;
let kv: KV;

before(async () => {
  await nats.start();
  nc = await connect({ servers: nats.url });
  kv = (await openBuckets(nc, 'leaseview')).leases;
});

after(async () => {
  await nc.close();
  await nats.dispose();
});

const record = (instrument: string, holder: string): Uint8Array =>
  encode(LeaseSchema, { v: 1, instrument, holder, acquiredAt: 0, renewedAt: 0 } satisfies LeaseRecord);

test('the agent answers a held lease from its watched copy and follows takeovers and releases', async () => {
  // Written before the view starts: part of the watch's initial values.
  await kv.put(kvKey('stage'), record('stage', 'hub1'));
  const view = new LeaseView(kv);
  const first = view.nextChange();
  await view.start();
  await first;
  try {
    await view.check('stage', 'hub1');
    assert.deepEqual(view.counts, { fromCopy: 1, fromBucket: 0 }, 'no bucket read for the holder');
    await assert.rejects(view.check('stage', 'hub2'), { code: 'CONTROL_LEASE_HELD', message: /hub1/ });
    await assert.rejects(view.check('stage', undefined), { code: 'CONTROL_LEASE_HELD' });
    assert.equal(view.counts.fromBucket, 2, 'a refusal is judged by the bucket itself');

    const taken = view.nextChange();
    await kv.put(kvKey('stage'), record('stage', 'hub2'));
    await taken;
    await assert.rejects(view.check('stage', 'hub1'), { code: 'CONTROL_LEASE_HELD', message: /hub2/ });
    await view.check('stage', 'hub2');

    const released = view.nextChange();
    await kv.delete(kvKey('stage'));
    await released;
    await assert.rejects(view.check('stage', 'hub2'), {
      code: 'CONTROL_LEASE_HELD',
      message: /no control lease/,
    });
  } finally {
    view.stop();
  }
});

test('a lease the copy has not seen yet is still accepted, from the bucket', async () => {
  const view = new LeaseView(kv);
  await view.start();
  try {
    await kv.put(kvKey('meter.x'), record('meter.x', 'hub3'));
    // Checked before the watch delivered it: the bucket decides.
    await view.check('meter.x', 'hub3');
    assert.ok(view.counts.fromBucket + view.counts.fromCopy === 1);
  } finally {
    view.stop();
  }
});
