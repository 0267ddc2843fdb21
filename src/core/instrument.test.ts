import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeMotorLab } from '../../test/support/fake-motor.ts';
import { EventBus } from './bus.ts';
import { isBenchtopError } from './errors.ts';
import type { BenchtopEvents } from './events.ts';

async function setup(pollIntervalMs = 0) {
  const bus = new EventBus<BenchtopEvents>();
  return { bus, ...(await fakeMotorLab(bus, { pollIntervalMs, rememberReadings: false })) };
}

describe('Instrument facade over the actor', () => {
  it('describes signals and actions from the driver declaration', async () => {
    const { instrument, supervisor } = await setup();
    const d = instrument.describe();
    assert.deepEqual(
      d.signals.map((s) => [s.name, s.dtype, s.readable, s.writable, s.completes]),
      [
        ['position', 'number', true, true, true],
        ['mode', 'enum', false, true, false],
        ['broken', 'number', true, false, false],
      ],
    );
    assert.deepEqual(d.signals[0]!.limits, { min: -10, max: 10 });
    assert.equal(d.actions[0]!.name, 'jog');
    await supervisor.stopAll();
  });

  it('a waiting write returns when the completion reports done', async () => {
    const { instrument, supervisor, bus } = await setup();
    const readings: number[] = [];
    bus.on('instrument.reading', (r) => readings.push(r.value as number));
    await instrument.write('position', 3);
    const r = await instrument.read('position');
    assert.equal(r.value, 3);
    assert.equal(r.unit, 'mm');
    assert.deepEqual(readings, [3]);
    assert.equal(
      instrument.lastReading('position'),
      undefined,
      'the manager, not the facade, records readings',
    );
    await supervisor.stopAll();
  });

  it('rejects bad values before anything reaches the wire', async () => {
    const { instrument, fake, supervisor } = await setup();
    await assert.rejects(instrument.write('position', 11), (e) => isBenchtopError(e, 'VALUE_OUT_OF_RANGE'));
    await assert.rejects(instrument.write('position', '3'), (e) => isBenchtopError(e, 'VALUE_INVALID'));
    await assert.rejects(instrument.write('mode', 'warp'), (e) => isBenchtopError(e, 'VALUE_INVALID'));
    await assert.rejects(instrument.write('broken', 1), (e) => isBenchtopError(e, 'SIGNAL_READ_ONLY'));
    await assert.rejects(instrument.write('nope', 1), (e) => isBenchtopError(e, 'SIGNAL_NOT_FOUND'));
    await assert.rejects(instrument.read('mode'), (e) => isBenchtopError(e, 'SIGNAL_WRITE_ONLY'));
    await assert.rejects(instrument.call('jog', { delta: 5 }), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(instrument.call('jog', { delta: 0.5, extra: 1 }), (e) =>
      isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(instrument.call('warp', {}), (e) => isBenchtopError(e, 'ACTION_NOT_FOUND'));
    assert.deepEqual(fake.wire, []);
    assert.deepEqual(await instrument.call('jog', { delta: 0.5 }), { moved: 0.5 });
    assert.deepEqual(fake.wire, ['PR0.5']);
    await supervisor.stopAll();
  });

  it('a link fault fails the actor, commands fail fast, and it reconnects', async () => {
    const { instrument, supervisor, bus, fake } = await setup();
    fake.setFailConnect(true);
    const faulted = bus.once('actor.state', (c) => c.state === 'restarting');
    await assert.rejects(instrument.read('broken'), (e) => isBenchtopError(e, 'LINK_LOST'));
    await faulted;
    await assert.rejects(instrument.read('position'), (e) => isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE'));
    const ready = bus.once('actor.state', (c) => c.state === 'ready');
    fake.setFailConnect(false);
    await ready;
    assert.ok(fake.connects() >= 2);
    assert.equal((await instrument.read('position')).value, 0);
    await supervisor.stopAll();
  });

  it('polls monitored signals and publishes them', async () => {
    const { supervisor, bus } = await setup(5);
    const reading = await bus.once('instrument.reading', (r) => r.signal === 'position');
    assert.equal(reading.instrument, 'motor');
    assert.equal(reading.quality, 'good');
    await supervisor.stopAll();
  });
});

describe('polling monitored signals', () => {
  it('polls on deadlines: a slow read does not stretch the period', async () => {
    const { ManualClock, sleep } = await import('./clock.ts');
    const { spawnInstrument } = await import('./testing/instrument-harness.ts');
    const clock = new ManualClock();
    const bus = new EventBus<BenchtopEvents>();
    const started: number[] = [];
    const driver = {
      type: 'SlowSensor',
      signals: {
        value: {
          dtype: 'number' as const,
          description: 'takes 30 ms to read',
          monitored: true,
          read: async () => {
            started.push(clock.monotonic());
            await sleep(clock, 30);
            return 1;
          },
        },
      },
      actions: {},
      connect: async () => ({ model: 'slow' }),
      disconnect: async () => {},
    };
    const { stop } = await spawnInstrument({ id: 'sensor', driver, bus, clock, pollIntervalMs: 100 });
    for (let t = 0; t < 1000; t += 10) await clock.advance(10);
    // Reads start every 100 ms, not every 130 ms as "interval after the end" would give.
    assert.deepEqual(started, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    // The read begun at 1000 ms finishes on the manual clock while the actor stops.
    const stopping = stop();
    await clock.advance(50);
    await stopping;
  });

  it('with a phase, polls once at connect and then on the phase of its interval', async () => {
    const { ManualClock } = await import('./clock.ts');
    const { spawnInstrument } = await import('./testing/instrument-harness.ts');
    const clock = new ManualClock();
    const bus = new EventBus<BenchtopEvents>();
    const started: number[] = [];
    const driver = {
      type: 'Sensor',
      signals: {
        value: {
          dtype: 'number' as const,
          description: 'read at once',
          monitored: true,
          read: async () => {
            started.push(clock.monotonic());
            return 1;
          },
        },
      },
      actions: {},
      connect: async () => ({ model: 'sensor' }),
      disconnect: async () => {},
    };
    const run = async (pollPhaseMs: number) => {
      started.length = 0;
      const t0 = clock.monotonic();
      const { stop } = await spawnInstrument({
        id: 's',
        driver,
        bus,
        clock,
        pollIntervalMs: 100,
        pollPhaseMs,
      });
      for (let t = 0; t < 400; t += 5) await clock.advance(5);
      await stop();
      return started.map((t) => t - t0);
    };
    // Nearest grid point to the second deadline (100): 30 is later, 80 earlier (-20).
    assert.deepEqual(await run(30), [0, 130, 230, 330]);
    assert.deepEqual(await run(80), [0, 80, 180, 280, 380]);
  });
});
