import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
