import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, sleep } from '../../core/clock.ts';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import {
  INVALID_QUALITY,
  type ParameterLogGroupConfig,
  ParameterLogger,
  type SampledValue,
  type SampleSignals,
  type TickReport,
} from './parameter-logger.ts';
import type { Sample, Series, TimeSeriesStore } from './timeseries-store.ts';

const T0 = Date.UTC(2026, 0, 1);

/** Keeps what it is given, in memory; `hold()` makes writes wait until `release()`. */
class RecordingStore implements TimeSeriesStore {
  readonly kind = 'memory';
  readonly samples: Sample[] = [];
  readonly batches: number[] = [];
  failNext: Error | null = null;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = null;
  }

  async insert(samples: readonly Sample[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    this.batches.push(samples.length);
    this.samples.push(...samples);
  }

  timesOf(signal: string): number[] {
    return this.samples.filter((s) => s.signal === signal).map((s) => s.time);
  }

  async query(): Promise<Series[]> {
    return [];
  }

  async deleteOlderThan(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}

/** Reads every signal as its name's length, instantly, unless a test overrides a tick. */
function harness(groups: ParameterLogGroupConfig[], sample?: SampleSignals, startWall = T0) {
  const clock = new ManualClock(startWall);
  const store = new RecordingStore();
  const ticks: TickReport[] = [];
  const errors: BenchtopError[] = [];
  const calls: number[] = [];
  const defaultSample: SampleSignals = async (signals) =>
    signals.map((signal) => ({ signal, value: signal.length, timestamp: clock.now() }));
  const logger = new ParameterLogger({
    groups,
    clock,
    store,
    sample: async (signals) => {
      calls.push(clock.now());
      return (sample ?? defaultSample)(signals);
    },
    onTick: (t) => ticks.push(t),
    onError: (e) => errors.push(e),
  });
  return { clock, store, ticks, errors, calls, logger };
}

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const group = (name: string, interval_s: number, signals = ['laser.power', 'stage.x']) => ({
  name,
  signals,
  interval_s,
});

describe('ParameterLogger schedule', () => {
  it('ticks exactly on its deadlines for many intervals, each group on its own', async () => {
    const { clock, store, ticks, logger } = harness([
      group('fast', 0.25, ['a.b']),
      group('slow', 7, ['c.d']),
    ]);
    logger.start();
    await clock.advance(3_600_000);
    await logger.stop();

    assert.deepEqual(
      store.timesOf('a.b'),
      range(14_401, (i) => T0 + i * 250),
    );
    assert.deepEqual(
      store.timesOf('c.d'),
      range(Math.floor(3_600_000 / 7000) + 1, (i) => T0 + i * 7000),
    );
    assert.ok(ticks.every((t) => t.latenessMs === 0 && t.skipped === 0));
    const fast = ticks.filter((t) => t.group === 'fast');
    assert.deepEqual(new Set(fast.slice(1).map((t) => t.intervalMs)), new Set([250]));
    assert.equal(fast[0]!.intervalMs, null);
    const [fastStats, slowStats] = logger.stats();
    assert.equal(fastStats!.ticks, 14_401);
    assert.equal(fastStats!.samplesWritten, 14_401);
    assert.equal(slowStats!.ticks, 515);
    assert.equal(fastStats!.maxLatenessMs, 0);
  });

  it('starts on the next whole multiple of the interval in wall time', async () => {
    const { clock, store, logger } = harness([group('g', 1, ['a.b'])], undefined, T0 + 300);
    logger.start();
    await clock.advance(699);
    assert.deepEqual(store.timesOf('a.b'), []);
    await clock.advance(2001);
    await logger.flush();
    assert.deepEqual(store.timesOf('a.b'), [T0 + 1000, T0 + 2000, T0 + 3000]);
    await logger.stop();
  });

  it('does not drift when sampling takes part of the interval', async () => {
    // A "now + interval" schedule would fall 300 ms behind on every tick.
    const { clock, store, ticks, calls, logger } = harness([group('g', 1, ['a.b'])], async (signals) => {
      await sleep(clock, 300);
      return signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() }));
    });
    logger.start();
    await clock.advance(100_000);
    const stopped = logger.stop();
    await clock.advance(300); // the last tick's sample is still running
    await stopped;
    assert.deepEqual(
      calls,
      range(101, (i) => T0 + i * 1000),
    );
    assert.deepEqual(
      store.timesOf('a.b'),
      range(101, (i) => T0 + i * 1000),
    );
    assert.ok(ticks.every((t) => t.latenessMs === 0 && (t.intervalMs ?? 1000) === 1000));
  });

  it('records lateness and the actual interval when a sample is slow, then catches up', async () => {
    const durations = new Map([[3, 1400]]);
    let n = 0;
    const { clock, store, ticks, logger } = harness([group('g', 1, ['a.b'])], async (signals) => {
      const delay = durations.get(n++) ?? 0;
      if (delay > 0) await sleep(clock, delay);
      return signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() }));
    });
    logger.start();
    await clock.advance(7000);
    await logger.stop();

    assert.deepEqual(
      ticks.map((t) => [t.latenessMs, t.intervalMs]),
      [
        [0, null],
        [0, 1000],
        [0, 1000],
        [0, 1000],
        [400, 1400], // deadline 4 s, started at 4.4 s when tick 3's sample returned
        [0, 600],
        [0, 1000],
        [0, 1000],
      ],
    );
    assert.deepEqual(
      store.timesOf('a.b'),
      range(8, (i) => T0 + i * 1000),
    );
    const [stats] = logger.stats();
    assert.equal(stats!.lastLatenessMs, 0);
    assert.equal(stats!.maxLatenessMs, 400);
    assert.equal(stats!.lastIntervalMs, 1000);
    assert.equal(stats!.skipped, 0);
  });

  it('skips ahead to the latest deadline after a stall, counting the skipped ticks', async () => {
    let n = 0;
    const { clock, store, ticks, logger } = harness([group('g', 1, ['a.b'])], async (signals) => {
      if (n++ === 2) await sleep(clock, 3500);
      return signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() }));
    });
    logger.start();
    await clock.advance(8000);
    await logger.stop();

    // Tick at 2 s returned at 5.5 s: deadlines 3 s and 4 s are gone, 5 s runs 500 ms late.
    assert.deepEqual(store.timesOf('a.b'), [
      T0,
      T0 + 1000,
      T0 + 2000,
      T0 + 5000,
      T0 + 6000,
      T0 + 7000,
      T0 + 8000,
    ]);
    const late = ticks.find((t) => t.deadline === T0 + 5000)!;
    assert.equal(late.skipped, 2);
    assert.equal(late.latenessMs, 500);
    assert.equal(late.intervalMs, 3500);
    const [stats] = logger.stats();
    assert.equal(stats!.skipped, 2);
    assert.equal(stats!.ticks, 7);
  });
});

describe('ParameterLogger failures', () => {
  it('refuses two groups with the same name', () => {
    assert.throws(
      () => harness([group('g', 1), group('g', 2)]),
      (e) => isBenchtopError(e, 'CONFIG_INVALID') && e.details.group === 'g',
    );
  });

  it('stores a failed read as null with quality "invalid", never leaving the signal out', async () => {
    const replies: (() => Promise<SampledValue[]>)[] = [
      async () => [
        { signal: 'laser.power', value: 1.5, timestamp: 0 },
        { signal: 'stage.x', value: 2, timestamp: 0, quality: 'uncertain' },
      ],
      async () => {
        throw new BenchtopError('INSTRUMENT_UNAVAILABLE', 'laser is not connected');
      },
      async () => [{ signal: 'stage.x', value: 3, timestamp: 0 }],
      async () => [
        { signal: 'laser.power', value: Number.NaN, timestamp: 0 },
        { signal: 'stage.x', value: null, timestamp: 0, quality: 'disconnected' },
      ],
    ];
    const { clock, store, ticks, logger } = harness([group('g', 1)], () => replies.shift()!());
    logger.start();
    await clock.advance(3000);
    await logger.stop();

    assert.deepEqual(store.samples, [
      { signal: 'laser.power', time: T0, value: 1.5 },
      { signal: 'stage.x', time: T0, value: 2, quality: 'uncertain' },
      { signal: 'laser.power', time: T0 + 1000, value: null, quality: INVALID_QUALITY },
      { signal: 'stage.x', time: T0 + 1000, value: null, quality: INVALID_QUALITY },
      { signal: 'laser.power', time: T0 + 2000, value: null, quality: INVALID_QUALITY },
      { signal: 'stage.x', time: T0 + 2000, value: 3 },
      { signal: 'laser.power', time: T0 + 3000, value: null, quality: INVALID_QUALITY },
      { signal: 'stage.x', time: T0 + 3000, value: null, quality: 'disconnected' },
    ]);
    assert.deepEqual(
      ticks.map((t) => [t.invalid, t.error]),
      [
        [0, null],
        [2, 'laser is not connected'],
        [1, null],
        [2, null],
      ],
    );
    const [stats] = logger.stats();
    assert.equal(stats!.errors, 1);
    assert.equal(stats!.invalidSamples, 5);
    assert.equal(stats!.samplesWritten, 8);
  });

  it('keeps ticking while the store is slow, batches what piled up and drops beyond the bound', async () => {
    const clock = new ManualClock();
    const store = new RecordingStore();
    const ticks: TickReport[] = [];
    const logger = new ParameterLogger({
      groups: [group('g', 1)],
      clock,
      store,
      sample: async (signals) => signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() })),
      onTick: (t) => ticks.push(t),
      queueCapacity: 10,
      batchSize: 6,
    });
    store.hold();
    logger.start();
    // Tick 0 goes to the (held) store; ticks 1–5 queue (10 samples); ticks 6–9 do not fit.
    await clock.advance(9000);
    assert.equal(ticks.length, 10);
    assert.deepEqual(
      ticks.map((t) => t.deadline),
      range(10, (i) => T0 + i * 1000),
    );
    assert.deepEqual(
      ticks.map((t) => t.queued),
      [true, true, true, true, true, true, false, false, false, false],
    );
    store.release();
    await logger.stop();
    assert.deepEqual(store.batches, [2, 6, 4]);
    assert.deepEqual(
      store.timesOf('laser.power'),
      range(6, (i) => T0 + i * 1000),
    );
    const [stats] = logger.stats();
    assert.equal(stats!.samplesWritten, 12);
    assert.equal(stats!.dropped, 8);
  });

  it('reports a failed store write, counts its samples as dropped and goes on logging', async () => {
    const { clock, store, errors, logger } = harness([group('g', 1)]);
    store.failNext = new Error('disk full');
    logger.start();
    await clock.advance(2000);
    await logger.stop();
    assert.equal(errors.length, 1);
    assert.ok(isBenchtopError(errors[0], 'STORAGE_ERROR'));
    assert.deepEqual(store.timesOf('stage.x'), [T0 + 1000, T0 + 2000]);
    const [stats] = logger.stats();
    assert.equal(stats!.writeErrors, 1);
    assert.equal(stats!.dropped, 2);
    assert.equal(stats!.samplesWritten, 4);
  });

  it('holds samples in memory while the disk is full (bounded, counted) and writes them when space returns', async () => {
    const clock = new ManualClock(T0);
    const store = new RecordingStore();
    let diskFull = false;
    const events: string[] = [];
    const realInsert = store.insert.bind(store);
    store.insert = async (samples) => {
      if (diskFull)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return realInsert(samples);
    };
    const logger = new ParameterLogger({
      groups: [group('g', 1)],
      clock,
      store,
      sample: async (signals) => signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() })),
      queueCapacity: 10,
      onError: (e) => events.push(`error ${e.message}`),
      disk: {
        full: (e) =>
          /ENOSPC/.test(e.message) ? new BenchtopError('STORAGE_FULL', `disk full: ${e.message}`) : undefined,
        hasSpace: () => !diskFull,
        onFull: (e, held) => events.push(`full ${e.code} held=${held}`),
        onSpace: (written) => events.push(`space written=${written}`),
      },
    });
    logger.start();
    await clock.advance(0);
    await logger.flush();
    assert.equal(store.samples.length, 2);
    diskFull = true;
    for (let i = 0; i < 7; i++) {
      await clock.advance(1000);
      await logger.flush();
    }
    // 2 samples a tick, 10 at most in memory: 5 ticks held, 2 dropped and counted.
    assert.deepEqual(logger.backlog(), { queued: 10, capacity: 10, diskFull: true });
    assert.deepEqual(events, ['full STORAGE_FULL held=2'], 'said once, not every tick');
    assert.equal(logger.stats()[0]!.dropped, 4);
    diskFull = false;
    await clock.advance(1000);
    await logger.flush();
    await logger.stop();
    assert.deepEqual(events, ['full STORAGE_FULL held=2', 'space written=10']);
    assert.deepEqual(logger.backlog(), { queued: 0, capacity: 10, diskFull: false });
    // The held ticks are stored in order under their own deadlines; the three that did not fit
    // (two while full, one the moment space returned with the queue still full) are counted.
    assert.deepEqual(
      store.timesOf('stage.x'),
      [0, 1, 2, 3, 4, 5].map((i) => T0 + i * 1000),
    );
    const [stats] = logger.stats();
    assert.deepEqual([stats!.samplesWritten, stats!.dropped, stats!.writeErrors], [12, 6, 0]);
  });

  it('stops cleanly: no timer left, the tick in progress finishes and is written', async () => {
    let release: (() => void) | null = null;
    let n = 0;
    const { clock, store, logger } = harness([group('g', 1, ['a.b'])], async (signals) => {
      if (n++ === 1) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return signals.map((signal) => ({ signal, value: 1, timestamp: clock.now() }));
    });
    logger.start();
    await clock.advance(1000);
    const stopped = logger.stop();
    release!();
    await stopped;
    assert.equal(clock.pendingTimers(), 0);
    assert.deepEqual(store.timesOf('a.b'), [T0, T0 + 1000]);
    await clock.advance(5000);
    assert.deepEqual(store.timesOf('a.b'), [T0, T0 + 1000]);
  });
});
