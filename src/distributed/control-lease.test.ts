import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LeaseRecord, mayTake } from './control-lease.ts';

const lease = (holder: string, renewedAt: number): LeaseRecord => ({
  v: 1,
  instrument: 'stage',
  holder,
  acquiredAt: 0,
  renewedAt,
});

test('a lease is taken when free, kept by its holder, refused to others until it lapses', () => {
  assert.equal(mayTake(null, 'hub1', 10_000, 5_000), true);
  assert.equal(mayTake(lease('hub1', 9_000), 'hub1', 10_000, 5_000), true);
  assert.equal(mayTake(lease('hub1', 9_000), 'hub2', 10_000, 5_000), false);
  assert.equal(mayTake(lease('hub1', 5_000), 'hub2', 10_000, 5_000), false);
  assert.equal(mayTake(lease('hub1', 4_999), 'hub2', 10_000, 5_000), true);
});

test("an operator's lease lapses after its own TTL and is never its holder's to retake as a hub", () => {
  const local: LeaseRecord = {
    ...lease('operator:alice@host1', 9_000),
    ttlMs: 60_000,
    local: { agent: 'host1', operator: 'alice' },
  };
  assert.equal(mayTake(local, 'hub2', 60_000, 5_000), false, "the hubs' TTL does not apply");
  assert.equal(
    mayTake(local, 'operator:alice@host1', 10_000, 5_000),
    false,
    'a second take by the same name',
  );
  assert.equal(mayTake(local, 'hub2', 69_001, 5_000), true);
});
