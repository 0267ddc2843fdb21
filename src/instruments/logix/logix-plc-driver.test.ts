import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { ManualClock, systemClock } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { type SpawnedInstrument, spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { LineStates, ProductionLine } from '../../sim/production-line.ts';
import { logixPlcKind } from './kind.ts';
import { createLinePlcSimulator } from './line-plc-simulator.ts';
import type { LogixPlcDriver } from './logix-plc-driver.ts';
import type { LogixSimServer } from './logix-sim-server.ts';

/**
 * The LogixPlc driver (on st-ethernet-ip) in its supervised actor against the simulator. The
 * library times out on real timers, so the actor runs on the system clock with a short
 * timeout_ms; the line runs on a ManualClock, so parts appear only when the test says so.
 */
const HOST = '127.0.0.41';

const TAGS = [
  { name: 'Line.State', type: 'DINT' },
  { name: 'Line.RunCmd', type: 'BOOL', writable: true },
  { name: 'Part.Counter', type: 'DINT' },
  { name: 'Quality.Result', type: 'DINT', writable: true },
  { name: 'Process.Pressure', type: 'REAL' },
  { name: 'Temps', type: 'REAL', elements: 10 },
  { name: 'Recipe.Setpoints', type: 'REAL', elements: 200, writable: true },
  { name: 'Maintenance.Shift', type: 'SINT', writable: true },
  { name: 'Maintenance.RunHours', type: 'LINT' },
  { name: 'Maintenance.Flags.5', type: 'BOOL', writable: true },
];

interface Rig {
  lineClock: ManualClock;
  line: ProductionLine;
  sim: LogixSimServer;
  bus: EventBus<BenchtopEvents>;
  driver: LogixPlcDriver;
  spawned: SpawnedInstrument;
  states: ActorStateChange[];
  /** Resolves with the next published reading of `signal` that satisfies `test`. */
  reading(signal: string, test?: (r: Reading) => boolean): Promise<Reading>;
  nextState(state: ActorStateChange['state']): Promise<ActorStateChange>;
}

async function startRig(host: string, config: Record<string, unknown>): Promise<Rig> {
  const lineClock = new ManualClock();
  const line = new ProductionLine({ clock: lineClock, idealCycleMs: 1000, jitter: 0 });
  const sim = createLinePlcSimulator({ clock: systemClock, line });
  await sim.listen(44818, host);
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  bus.on('actor.state', (c) => states.push(c));
  const driver = logixPlcKind.createDriver(
    'line_plc',
    { host, connected: true, scan_ms: 20, timeout_ms: 400, tags: TAGS, ...config },
    { clock: systemClock, log: silentLogger() },
  ) as LogixPlcDriver;
  const spawned = await spawnInstrument({ id: 'line_plc', driver, bus, spawnTimeoutMs: 10_000 });
  const reading = (signal: string, test: (r: Reading) => boolean = () => true) =>
    new Promise<Reading>((resolve) => {
      const off = bus.on('instrument.reading', (r) => {
        if (r.signal === signal && test(r)) {
          off();
          resolve(r);
        }
      });
    });
  const nextState = (state: ActorStateChange['state']) =>
    new Promise<ActorStateChange>((resolve) => {
      const off = bus.on('actor.state', (c) => {
        if (c.state === state) {
          off();
          resolve(c);
        }
      });
    });
  return { lineClock, line, sim, bus, driver, spawned, states, reading, nextState };
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.spawned.stop();
  rig.line.dispose();
  await rig.sim.close();
}

describe('LogixPlc driver against the Logix simulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig(HOST, { discover: true });
  });
  after(() => stopRig(rig));

  it('connects (identity), describes each tag as a signal with its CIP type and lists the controller tags', () => {
    const { instrument } = rig.spawned;
    assert.equal(instrument.state, 'ready');
    assert.equal(instrument.status().identity?.model, '1756-L83E/B');
    const byName = new Map(instrument.describe().signals.map((s) => [s.name, s]));
    assert.equal(byName.get('Line.State')?.dtype, 'integer');
    assert.deepEqual(byName.get('Line.State')?.limits, { min: -2147483648, max: 2147483647 });
    assert.equal(byName.get('Line.State')?.writable, false);
    assert.equal(byName.get('Line.RunCmd')?.dtype, 'boolean');
    assert.equal(byName.get('Process.Pressure')?.dtype, 'number');
    assert.deepEqual(
      [byName.get('Temps')?.dtype, byName.get('Temps')?.shape, byName.get('Temps')?.element],
      ['array', [10], 'number'],
    );
    assert.deepEqual(byName.get('Maintenance.Shift')?.limits, { min: -128, max: 127 });
    const listed = rig.driver.discoveredTags;
    assert.deepEqual(
      listed.find((t) => t.name === 'Temps'),
      { name: 'Temps', type: 'REAL', dimensions: 1 },
    );
    assert.ok(listed.some((t) => t.name === 'Quality.Result' && t.type === 'DINT'));
  });

  it('scans the tag group and publishes changes; a BOOL write runs the line and parts are counted', async () => {
    const running = rig.reading('Line.State', (r) => r.value === LineStates.running);
    await rig.spawned.instrument.write('Line.RunCmd', true);
    assert.equal(rig.line.state, LineStates.running);
    await running;
    const three = rig.reading('Part.Counter', (r) => r.value === 3);
    await rig.lineClock.advance(3000);
    assert.equal((await three).quality, 'good');
  });

  it('reads REAL, LINT and arrays (array signals), and writes DINT, SINT and a 200-element array', async () => {
    const { instrument } = rig.spawned;
    const pressure = await instrument.read('Process.Pressure');
    assert.ok(Math.abs(Number(pressure.value) - 6) < 0.5);
    assert.equal((await instrument.read('Maintenance.RunHours')).value, 12345);
    const temps = (await instrument.read('Temps')).value;
    assert.ok(Array.isArray(temps) && temps.length === 10 && temps.every((t) => typeof t === 'number'));
    assert.deepEqual(temps, rig.sim.controller.db.get('Temps')!.values());

    await instrument.write('Quality.Result', 1);
    assert.equal(rig.line.passCount, 1);
    await instrument.write('Maintenance.Shift', -3);
    assert.equal(rig.sim.controller.db.read('Maintenance.Shift'), -3);
    const wanted = Array.from({ length: 200 }, (_, i) => i / 4);
    await instrument.write('Recipe.Setpoints', wanted);
    assert.deepEqual(rig.sim.controller.db.get('Recipe.Setpoints')!.values(), wanted);
    assert.deepEqual((await instrument.read('Recipe.Setpoints')).value, wanted);
  });

  it('writes a bit of a DINT (Flags.5, a BOOL signal) with Read-Modify-Write, leaving the other bits', async () => {
    const { instrument } = rig.spawned;
    rig.sim.controller.db.set('Maintenance.Flags', 0b1001);
    assert.equal((await instrument.read('Maintenance.Flags.5')).value, false);
    await instrument.write('Maintenance.Flags.5', true);
    assert.equal(rig.sim.controller.db.read('Maintenance.Flags'), 0b101001);
    assert.equal((await instrument.read('Maintenance.Flags.5')).value, true);
    await instrument.write('Maintenance.Flags.5', false);
    assert.equal(rig.sim.controller.db.read('Maintenance.Flags'), 0b1001);
  });

  it('refuses writes to read-only tags and values outside the type, before anything is sent', async () => {
    const { instrument } = rig.spawned;
    await assert.rejects(instrument.write('Line.State', 2), (e) => isBenchtopError(e, 'SIGNAL_READ_ONLY'));
    await assert.rejects(instrument.write('Maintenance.Shift', 200), (e) =>
      isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
    );
    await assert.rejects(instrument.write('Recipe.Setpoints', [1, 2, 3]), (e) =>
      isBenchtopError(e, 'VALUE_INVALID'),
    );
    await assert.rejects(instrument.write('Recipe.Setpoints', '[1,2,3]'), (e) =>
      isBenchtopError(e, 'VALUE_INVALID'),
    );
    const tooBig = Array.from({ length: 200 }, () => 1e39);
    await assert.rejects(instrument.write('Recipe.Setpoints', tooBig), (e) =>
      isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
    );
    assert.equal(rig.sim.controller.db.read('Maintenance.Shift'), -3);
    assert.equal(rig.sim.controller.db.read('Recipe.Setpoints', 0), 0);
  });

  it('after a program download (reads time out, st-ethernet-ip #56/#63) reconnects from scratch in place', async () => {
    const failedBefore = rig.states.filter((s) => s.state === 'failed').length;
    rig.sim.simulateProgramDownload(50);
    // The next scan's group read goes unanswered, then a fresh connect re-resolves every tag.
    const counted = rig.reading('Part.Counter', (r) => r.value === 4);
    await rig.lineClock.advance(1000);
    await counted;
    assert.equal(rig.driver.recoveries, 1);
    assert.ok(rig.sim.staleConnectedRequests >= 1);
    assert.equal(rig.states.filter((s) => s.state === 'failed').length, failedBefore, 'no link loss');
    assert.equal((await rig.spawned.instrument.read('Line.State')).value, LineStates.running);
  });

  it('a link loss fails the actor once (one communication alarm), then it reconnects and scans again', async () => {
    const failed = rig.nextState('failed');
    const ready = rig.nextState('ready');
    const failedBefore = rig.states.filter((s) => s.state === 'failed').length;
    rig.sim.dropConnections();
    assert.equal((await failed).error?.code, 'LINK_LOST');
    await ready;
    assert.equal(rig.states.filter((s) => s.state === 'failed').length, failedBefore + 1);
    const five = rig.reading('Part.Counter', (r) => r.value === 5);
    await rig.lineClock.advance(1000);
    assert.equal((await five).quality, 'good');
  });
});

describe('LogixPlc driver: configured tags the controller does not have as configured', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('127.0.0.42', {
      connected: false,
      tags: [
        { name: 'Line.State', type: 'DINT' },
        { name: 'Part.Counter', type: 'REAL' },
        { name: 'No.Such.Tag', type: 'DINT' },
      ],
    });
  });
  after(() => stopRig(rig));

  it('stays connected (unconnected messaging); reads of a mistyped or unknown tag are instrument errors', async () => {
    const { instrument } = rig.spawned;
    assert.equal(instrument.state, 'ready');
    assert.equal(rig.sim.controller.openConnections, 0);
    assert.equal((await instrument.read('Line.State')).value, LineStates.stopped);
    await assert.rejects(instrument.read('Part.Counter'), (e) => {
      assert.ok(isBenchtopError(e, 'INSTRUMENT_ERROR'));
      assert.match(e.message, /DINT in the controller, configured as REAL/);
      return true;
    });
    await assert.rejects(instrument.read('No.Such.Tag'), (e) => {
      assert.ok(isBenchtopError(e, 'INSTRUMENT_ERROR'));
      assert.match(e.message, /0x04/);
      return true;
    });
    assert.equal(instrument.state, 'ready');
  });

  it('list_tags lists the controller tags on demand (0x55 continued after 0x06)', async () => {
    const result = (await rig.spawned.instrument.call('list_tags', {})) as { tags: { name: string }[] };
    assert.equal(result.tags.length, rig.sim.controller.db.list().length);
  });
});

describe('LogixPlc driver: a controller that is off at start', () => {
  it('keeps retrying (connection refused is a link fault) and becomes ready once the controller is up', async () => {
    const lineClock = new ManualClock();
    const line = new ProductionLine({ clock: lineClock, idealCycleMs: 1000, jitter: 0 });
    const bus = new EventBus<BenchtopEvents>();
    const driver = logixPlcKind.createDriver(
      'late_plc',
      { host: '127.0.0.43', scan_ms: 20, timeout_ms: 400, tags: [{ name: 'Line.State', type: 'DINT' }] },
      { clock: systemClock, log: silentLogger() },
    ) as LogixPlcDriver;
    const restarting = bus.once('actor.state', (c) => c.id === 'late_plc' && c.state === 'restarting');
    const spawned = await spawnInstrument({ id: 'late_plc', driver, bus, spawnTimeoutMs: 10_000 });
    const sim = createLinePlcSimulator({ clock: systemClock, line });
    try {
      assert.equal((await restarting).error?.code, 'LINK_LOST');
      const ready = bus.once('actor.state', (c) => c.id === 'late_plc' && c.state === 'ready');
      const first = bus.once(
        'instrument.reading',
        (r) => r.instrument === 'late_plc' && r.signal === 'Line.State',
      );
      await sim.listen(44818, '127.0.0.43');
      await ready;
      assert.equal((await first).value, LineStates.stopped);
    } finally {
      await spawned.stop();
      line.dispose();
      await sim.close();
    }
  });
});
