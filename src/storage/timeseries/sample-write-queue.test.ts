import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { SampleWriteQueue } from './sample-write-queue.ts';
import type { Sample, TimeSeriesStore } from './timeseries-store.ts';

describe('SampleWriteQueue', () => {
  it('writes a tick larger than a batch in batches, every sample once and in order', async () => {
    const inserts: Sample[][] = [];
    const store = {
      insert: async (samples: Sample[]) => void inserts.push(samples),
    } as unknown as TimeSeriesStore;
    const written: number[] = [];
    const queue = new SampleWriteQueue({
      store,
      capacity: 100,
      batchSize: 2,
      onWritten: (_group, n) => written.push(n),
      onDropped: () => assert.fail('nothing may be dropped'),
      onWriteError: (error) => assert.fail(error),
    });
    const samples = Array.from({ length: 5 }, (_, i): Sample => ({ signal: `s${i}`, time: 1000, value: i }));
    assert.equal(queue.enqueue('g', samples), true);
    await queue.flush();
    assert.deepEqual(
      inserts.map((batch) => batch.length),
      [2, 2, 1],
    );
    assert.deepEqual(inserts.flat(), samples);
    assert.deepEqual(written, [2, 2, 1]);
    assert.equal(queue.length, 0);
  });

  it('coalescing: gathers the ticks of the window and writes them signal by signal; flush cuts the wait short', async () => {
    const inserts: Sample[][] = [];
    const store = {
      insert: async (samples: Sample[]) => void inserts.push(samples),
    } as unknown as TimeSeriesStore;
    const clock = new ManualClock();
    const queue = new SampleWriteQueue({
      store,
      capacity: 100,
      batchSize: 6,
      coalesce: { ms: 3000, clock },
      onWritten: () => {},
      onDropped: () => assert.fail('nothing may be dropped'),
      onWriteError: (error) => assert.fail(error),
    });
    const tick = (time: number) =>
      queue.enqueue(
        'g',
        ['a', 'b', 'c', 'd'].map((signal) => ({ signal, time, value: time })),
      );
    for (const t of [0, 1000, 2000]) {
      tick(t);
      await clock.advance(1000);
    }
    // The window closed after the third tick: 12 samples, a and b in one write, c and d in the next.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(
      inserts.map((batch) => batch.map((x) => `${x.signal}${x.time / 1000}`).join(' ')),
      ['a0 a1 a2 b0 b1 b2', 'c0 c1 c2 d0 d1 d2'],
    );
    tick(3000);
    await clock.advance(1000);
    assert.equal(inserts.length, 2, 'still gathering');
    await queue.flush();
    assert.equal(inserts.length, 3);
    assert.equal(queue.length, 0);
  });
});
