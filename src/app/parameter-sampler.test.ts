import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import type { Reading } from '../core/reading.ts';
import type { InstrumentManager } from './instrument-manager.ts';
import { parameterSampler } from './parameter-sampler.ts';

/** One instrument `plc` whose last published reading is set by the test; reads are counted. */
function fakeInstruments(clock: ManualClock) {
  const state = { last: null as Reading | null, reads: 0 };
  const instrument = {
    lastReading: () => state.last,
    read: async (signal: string): Promise<Reading> => {
      state.reads++;
      return { instrument: 'plc', signal, value: 7, timestamp: clock.now(), quality: 'good' };
    },
  };
  const instruments = {
    resolve: (path: string) => ({ instrument, signal: path.split('.')[1]! }),
  } as unknown as InstrumentManager;
  const publish = (value: number) => {
    state.last = { instrument: 'plc', signal: 'p000', value, timestamp: clock.now(), quality: 'good' };
  };
  return { instruments, state, publish };
}

describe('parameterSampler', () => {
  it('takes a poll published slightly more than one interval ago, without reading the instrument', async () => {
    const clock = new ManualClock();
    const { instruments, state, publish } = fakeInstruments(clock);
    const sample = parameterSampler(instruments, clock, 1000);
    publish(3);
    await clock.advance(1003); // the next poll is a few ms late: the tick comes first
    assert.deepEqual(await sample(['plc.p000']), [
      { signal: 'plc.p000', value: 3, timestamp: clock.now() - 1003, quality: 'good' },
    ]);
    assert.equal(state.reads, 0);
  });

  it('reads through the instrument once the last poll is older than an interval and a half', async () => {
    const clock = new ManualClock();
    const { instruments, state, publish } = fakeInstruments(clock);
    const sample = parameterSampler(instruments, clock, 1000);
    publish(3);
    await clock.advance(1501);
    const [got] = await sample(['plc.p000']);
    assert.equal(got?.value, 7);
    assert.equal(state.reads, 1);
  });
});
