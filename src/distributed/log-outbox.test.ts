import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogOutbox } from './log-outbox.ts';

const batch = (t: number, n = 10) =>
  Array.from({ length: n }, (_, i) => ({ signal: `s${i}`, time: t, value: i }));

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-outbox-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('batches come back in order, survive reopening, and leave only when removed', () =>
  withDir((dir) => {
    const path = join(dir, 'o.sqlite');
    let outbox = new LogOutbox({ path, capacityBytes: 1_000_000, policy: 'drop_oldest' });
    for (let t = 1; t <= 5; t++) outbox.append(batch(t));
    const first = outbox.peek(2);
    assert.deepEqual(
      first.map((e) => e.samples[0]!.time),
      [1, 2],
    );
    outbox.remove(first[0]!.seq);
    outbox.close();
    outbox = new LogOutbox({ path, capacityBytes: 1_000_000, policy: 'drop_oldest' });
    assert.equal(outbox.stats().pendingBatches, 4);
    assert.deepEqual(
      outbox.peek(10).map((e) => e.samples[0]!.time),
      [2, 3, 4, 5],
    );
    assert.ok(outbox.peek(10)[0]!.seq > first[0]!.seq);
    outbox.close();
  }));

test('full with drop_oldest: the oldest batches go, counted and reported', () =>
  withDir((dir) => {
    const size = Buffer.byteLength(JSON.stringify(batch(1)));
    const drops: number[] = [];
    const outbox = new LogOutbox({
      path: join(dir, 'o.sqlite'),
      capacityBytes: size * 3,
      policy: 'drop_oldest',
      onDrop: (n) => drops.push(n),
    });
    for (let t = 1; t <= 5; t++) outbox.append(batch(t));
    assert.deepEqual(
      outbox.peek(10).map((e) => e.samples[0]!.time),
      [3, 4, 5],
    );
    assert.equal(outbox.stats().droppedSamples, 20);
    assert.deepEqual(drops, [10, 10]);
    assert.ok(outbox.stats().pendingBytes <= size * 3);
    outbox.close();
  }));

test('full with drop_newest: new batches are refused and counted, the old kept', () =>
  withDir((dir) => {
    const size = Buffer.byteLength(JSON.stringify(batch(1)));
    const outbox = new LogOutbox({
      path: join(dir, 'o.sqlite'),
      capacityBytes: size * 2,
      policy: 'drop_newest',
    });
    for (let t = 1; t <= 4; t++) outbox.append(batch(t));
    assert.deepEqual(
      outbox.peek(10).map((e) => e.samples[0]!.time),
      [1, 2],
    );
    assert.equal(outbox.stats().droppedSamples, 20);
    outbox.close();
  }));
