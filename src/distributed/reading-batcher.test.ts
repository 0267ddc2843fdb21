import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { ReadingBatcher } from './reading-batcher.ts';

const sample = (ts: number) => ({ signal: 'v', value: ts, ts, quality: 'good' as const });

function batcher(batchMs: number) {
  const clock = new ManualClock();
  const sent: { subject: string; at: number; ts: number[] }[] = [];
  const b = new ReadingBatcher({
    clock,
    batchMs,
    send: (subject, _inst, samples) =>
      sent.push({ subject, at: clock.monotonic(), ts: samples.map((s) => s.ts) }),
  });
  return { b, clock, sent };
}

test('a reading of a signal not sent lately goes out at once; a faster one waits for its batch', async () => {
  const { b, clock, sent } = batcher(10);
  b.add('a', 'dmm', sample(0));
  assert.deepEqual(sent, [{ subject: 'a', at: 0, ts: [0] }], 'no wait for the first');
  await clock.advance(2);
  b.add('a', 'dmm', sample(2));
  b.add('b', 'dmm', sample(2));
  await clock.advance(2);
  b.add('a', 'dmm', sample(4));
  assert.deepEqual(
    sent.map((s) => s.subject),
    ['a', 'b'],
    'another signal is not held back by the first one’s batch',
  );
  await clock.advance(6);
  assert.deepEqual(
    sent[2],
    { subject: 'a', at: 10, ts: [2, 4] },
    'batchMs after the last message of that signal',
  );
  await clock.advance(100);
  b.add('a', 'dmm', sample(110));
  assert.deepEqual(sent[3], { subject: 'a', at: 110, ts: [110] }, 'at once again after a quiet spell');
});

test('a 1 kHz signal is one message per batch period; flush sends what waits', async () => {
  const { b, clock, sent } = batcher(10);
  for (let t = 0; t < 35; t++) {
    b.add('fast', 'daq', sample(t));
    await clock.advance(1);
  }
  assert.deepEqual(
    sent.map((s) => s.at),
    [0, 10, 20, 30],
  );
  b.flush();
  assert.deepEqual(
    sent.flatMap((s) => s.ts),
    Array.from({ length: 35 }, (_, t) => t),
    'every sample once, in order',
  );
});

test('batchMs 0 sends every reading by itself', () => {
  const { b, sent } = batcher(0);
  b.add('a', 'dmm', sample(1));
  b.add('a', 'dmm', sample(2));
  assert.deepEqual(
    sent.map((s) => s.ts),
    [[1], [2]],
  );
});
