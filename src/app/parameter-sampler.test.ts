import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { Reading } from '../core/reading.ts';
import { parameterSampler } from './parameter-sampler.ts';

/**
 * A fake instrument behind an actor that serves one read at a time, each taking `readMs` of the
 * manual clock, and refuses a read (MAILBOX_FULL) when `capacity` are already waiting, as the
 * real actor does. `publish` sets the last polled value of a signal.
 */
function fakeInstrument(id: string, clock: ManualClock, opts: { capacity: number; readMs: number }) {
  const last = new Map<string, Reading>();
  const stats = { reads: 0, refused: 0, maxWaiting: 0 };
  let busyUntil = 0;
  let waiting = 0;
  const instrument = {
    lastReading: (signal: string) => last.get(signal),
    read: (signal: string): Promise<Reading> => {
      if (waiting >= opts.capacity) {
        stats.refused++;
        return Promise.reject(new BenchtopError('MAILBOX_FULL', `${id}: mailbox full`));
      }
      waiting++;
      stats.maxWaiting = Math.max(stats.maxWaiting, waiting);
      busyUntil = Math.max(busyUntil, clock.monotonic()) + opts.readMs;
      return new Promise((resolve) => {
        clock.setTimeout(() => {
          waiting--;
          stats.reads++;
          resolve({ instrument: id, signal, value: 7, timestamp: clock.now(), quality: 'good' });
        }, busyUntil - clock.monotonic());
      });
    },
  };
  const publish = (signal: string, value: number) => {
    last.set(signal, { instrument: id, signal, value, timestamp: clock.now(), quality: 'good' });
  };
  return { instrument, stats, publish };
}

type Fake = ReturnType<typeof fakeInstrument>;

function directory(fakes: Record<string, Fake>) {
  return {
    resolve: (path: string) => {
      const [id, signal] = path.split('.') as [string, string];
      const fake = fakes[id];
      if (!fake) throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument ${id}`);
      return { instrument: fake.instrument, signal };
    },
  } as unknown as Parameters<typeof parameterSampler>[0];
}

const points = (id: string, n: number) => Array.from({ length: n }, (_, i) => `${id}.p${i}`);

/** Runs one tick's sampling to the end on the manual clock, `stepMs` at a time. */
async function sampleOnClock(clock: ManualClock, run: Promise<unknown[]>, stepMs = 1) {
  let done = false;
  void run.finally(() => {
    done = true;
  });
  for (let i = 0; i < 100_000 && !done; i++) await clock.advance(stepMs);
  assert.ok(done, 'sampling finished');
  return run;
}

describe('parameterSampler', () => {
  it('takes a poll published slightly more than one interval ago, without reading the instrument', async () => {
    const clock = new ManualClock();
    const plc = fakeInstrument('plc', clock, { capacity: 10, readMs: 1 });
    const sample = parameterSampler(directory({ plc }), clock, 1000);
    plc.publish('p0', 3);
    await clock.advance(1003); // the next poll is a few ms late: the tick comes first
    assert.deepEqual(await sample(['plc.p0']), [
      { signal: 'plc.p0', value: 3, timestamp: clock.now() - 1003, quality: 'good' },
    ]);
    assert.equal(plc.stats.reads, 0);
  });

  it('reads through the instrument once the last poll is older than an interval and a half', async () => {
    const clock = new ManualClock();
    const plc = fakeInstrument('plc', clock, { capacity: 10, readMs: 1 });
    const sample = parameterSampler(directory({ plc }), clock, 1000);
    plc.publish('p0', 3);
    await clock.advance(1501);
    const [got] = await sampleOnClock(clock, sample(['plc.p0']));
    assert.deepEqual(got, { signal: 'plc.p0', value: 7, timestamp: clock.now(), quality: 'good' });
    assert.equal(plc.stats.reads, 1);
  });

  it('reads unpolled signals one at a time per instrument, so a small mailbox refuses none', async () => {
    const clock = new ManualClock();
    const a = fakeInstrument('a', clock, { capacity: 4, readMs: 2 });
    const b = fakeInstrument('b', clock, { capacity: 4, readMs: 2 });
    const sample = parameterSampler(directory({ a, b }), clock, 1000);
    const signals = [...points('a', 200), ...points('b', 200)];
    const got = (await sampleOnClock(clock, sample(signals))) as { value: number | null }[];
    assert.equal(a.stats.refused + b.stats.refused, 0, 'no read refused by a full mailbox');
    assert.deepEqual(
      got.filter((s) => s.value === null),
      [],
    );
    assert.equal(a.stats.maxWaiting, 1);
    assert.equal(b.stats.maxWaiting, 1);
    // The instruments are read side by side: 200 reads of 2 ms each, not 400.
    assert.equal(clock.monotonic(), 400);
  });

  it('uses a poll that lands while earlier reads of the tick are running instead of reading', async () => {
    const clock = new ManualClock();
    const plc = fakeInstrument('plc', clock, { capacity: 100, readMs: 10 });
    const sample = parameterSampler(directory({ plc }), clock, 1000);
    const run = sample(points('plc', 5));
    await clock.advance(5); // the first own read is under way; the instrument's poll comes in
    for (let i = 0; i < 5; i++) plc.publish(`p${i}`, 40 + i);
    const got = await sampleOnClock(clock, run);
    assert.equal(plc.stats.reads, 1);
    assert.deepEqual(
      got.map((s) => (s as { value: number }).value),
      [7, 41, 42, 43, 44],
    );
  });

  it('gives up reads that would start more than one interval after the tick, as invalid', async () => {
    const clock = new ManualClock();
    const plc = fakeInstrument('plc', clock, { capacity: 100, readMs: 400 });
    const sample = parameterSampler(directory({ plc }), clock, 1000);
    const got = await sampleOnClock(clock, sample(points('plc', 5)), 10);
    assert.deepEqual(
      got.map((s) => (s as { quality: string }).quality),
      ['good', 'good', 'good', 'invalid', 'invalid'],
    );
    assert.equal(plc.stats.reads, 3);
  });

  it('logs a signal of an unknown instrument as invalid and samples the rest', async () => {
    const clock = new ManualClock();
    const plc = fakeInstrument('plc', clock, { capacity: 1, readMs: 1 });
    const sample = parameterSampler(directory({ plc }), clock, 1000);
    const got = await sampleOnClock(clock, sample(['gone.x', 'plc.p0']));
    assert.deepEqual(
      got.map((s) => (s as { quality: string }).quality),
      ['invalid', 'good'],
    );
  });
});
