import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AlarmService } from '../../alarms/alarm-service.ts';
import { AlarmStore } from '../../alarms/alarm-store.ts';
import { InstrumentManager } from '../../app/instrument-manager.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { Supervisor } from '../../core/supervisor.ts';
import { testRestartPolicy } from '../../core/testing/instrument-harness.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentConfigSchemas, instrumentKinds } from '../catalog.ts';
import type { CvxSimProtocol } from './cvx-sim-protocol.ts';
import { CvxSimulatorServer } from './cvx-sim-server.ts';

/** The configuration, in simulation mode. */
const visionToml = `
[simulation]
enabled = true

[[instruments]]
id = "vision"
type = "KeyenceCvx"
poll_interval_ms = 0
[instruments.config]
host = "192.168.1.30"
port = 8500
timeout_ms = 3000
trigger = "TA"
[[instruments.config.outputs]]
index = 0
name = "total"
kind = "judgement"
[[instruments.config.outputs]]
index = 1
name = "scratch_score"
kind = "score"
tool = "scratch"
`;

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** Builds the vision system the way `benchtop start` does: config text → InstrumentManager, with alarms. */
async function startFromConfig(toml: string, prepareLab: (lab: VirtualLab) => void = () => {}) {
  const { config } = loadBenchtopConfig({ text: toml, file: 'vision.toml', env: {} });
  const clock = systemClock;
  const bus = new EventBus<BenchtopEvents>();
  const supervisor = new Supervisor({
    clock,
    mailboxCapacity: 16,
    spawnTimeoutMs: 10_000,
    shutdownTimeoutMs: 5_000,
    policy: testRestartPolicy,
    onStateChange: (c) => bus.emit('actor.state', c),
  });
  const store = AlarmStore.inOutputDir(mkdtempSync(join(tmpdir(), 'benchtop-cvx-')));
  const alarms = new AlarmService({
    alarms: [],
    instruments: config.instruments.map((e) => ({ id: e.id, type: e.type })),
    bus,
    clock,
    store,
    logger: silentLogger(),
  });
  alarms.start();
  const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  prepareLab(lab);
  const manager = new InstrumentManager({ config, bus, supervisor, clock, logger: silentLogger(), lab });
  const readings: Reading[] = [];
  const alarmChanges: BenchtopEvents['alarm.changed'][] = [];
  bus.on('instrument.reading', (r) => readings.push(r));
  bus.on('alarm.changed', (c) => alarmChanges.push(c));
  await manager.startAll();
  stops.push(async () => {
    await supervisor.stopAll();
    await manager.closeSimulators();
    alarms.stop();
    store.close();
  });
  return { manager, bus, alarms, readings, alarmChanges, lab, vision: manager.get('vision') };
}

describe('KeyenceCvx kind', () => {
  it('is registered in the catalog and the config schemas', () => {
    assert.equal(instrumentKinds.KeyenceCvx?.type, 'KeyenceCvx');
    assert.ok(instrumentConfigSchemas.KeyenceCvx);
  });

  it("the issue's config loads, and an unknown key or a bad kind is reported with its path", () => {
    assert.equal(
      loadBenchtopConfig({ text: visionToml, file: 'vision.toml', env: {} }).config.instruments[0]!.type,
      'KeyenceCvx',
    );
    assert.throws(
      () =>
        loadBenchtopConfig({
          text: visionToml.replace('trigger = "TA"', 'trigger = "T7"'),
          file: 'v.toml',
          env: {},
        }),
      /trigger/,
    );
    assert.throws(
      () =>
        loadBenchtopConfig({
          text: visionToml.replace('kind = "score"', 'kind = "colour"'),
          file: 'v.toml',
          env: {},
        }),
      /outputs/,
    );
  });

  it('in simulation mode its simulator emits the configured outputs; a lost link marks values invalid, raises one communication alarm, and recovers', async () => {
    const { manager, vision, readings, alarms, alarmChanges, bus } = await startFromConfig(visionToml);
    assert.equal(vision.state, 'ready');
    const first = (await vision.call('trigger')) as { fields: Record<string, number>; result: string };
    assert.deepEqual(Object.keys(first.fields), ['total', 'scratch_score']);
    assert.equal(first.result.split(',').length, 2, 'SD1:000 of the simulator is built from the outputs map');

    // Readings published during the very first connect come before the manager knows the
    // instrument, so it does not remember them; a read makes them part of what it holds.
    await vision.read('mode');
    await vision.read('program');
    const failed = bus.once('actor.state', (c) => c.id === 'vision' && c.state === 'failed');
    const ready = bus.once('actor.state', (c) => c.id === 'vision' && c.state === 'ready');
    const before = readings.length;
    const simulator = manager.simulator('vision');
    assert.ok(simulator instanceof CvxSimulatorServer);
    simulator.dropConnections();
    assert.equal((await failed).error?.code, 'LINK_LOST');
    const invalid = readings.slice(before).filter((r) => r.quality === 'invalid');
    assert.deepEqual(
      invalid.map((r) => r.signal).sort(),
      ['last_trigger_ms', 'mode', 'program', 'program_sd', 'result', 'scratch_score', 'total'],
      'every value it had is republished invalid',
    );
    assert.equal(alarms.get('comm:vision').active, true);
    await ready;
    const activations = alarmChanges.filter(
      (c) => c.alarm.id === 'comm:vision' && c.event.event === 'activated',
    );
    assert.equal(activations.length, 1, 'one communication alarm');
    assert.equal(alarms.get('comm:vision').active, false, 'cleared on reconnect');
    const recovered = readings
      .slice(before)
      .filter((r) => r.quality === 'good')
      .map((r) => r.signal);
    assert.deepEqual(recovered, ['mode', 'program', 'program_sd'], 'read again at connect');
    await vision.call('trigger');
    assert.equal(vision.lastReading('total')?.quality, 'good');
  });

  it('the line model hands the simulated camera its parts through the simulator server', async () => {
    const { manager, vision } = await startFromConfig(visionToml);
    const simulator = manager.simulator('vision');
    assert.ok(simulator instanceof CvxSimulatorServer);
    const asked: number[] = [];
    simulator.cvx.station = 2;
    simulator.cvx.setPartSource({
      partAt: (station) => {
        asked.push(station);
        return { id: 'P-42', sku: 'HOUSING-B' };
      },
    });
    const result = (await vision.call('trigger')) as { result: string };
    assert.deepEqual(asked, [2]);
    const inspection = simulator.cvx.inspections.at(-1)!;
    assert.deepEqual(inspection.part, { id: 'P-42', sku: 'HOUSING-B' });
    assert.equal(result.result, inspection.line);
  });

  it("in simulation the camera inspects the lab's production line: results name the line's parts", async () => {
    // A fast line, built before the simulators so they share it (the first caller's options win).
    const { manager, vision, lab } = await startFromConfig(visionToml, (l) =>
      l.productionLine({ idealCycleMs: 400, completedPulseMs: 50 }),
    );
    const line = lab.productionLine();
    const simulator = manager.simulator('vision');
    assert.ok(simulator instanceof CvxSimulatorServer);
    const cvx: CvxSimProtocol = simulator.cvx;
    const before = (await vision.call('trigger')) as { fields: Record<string, number> };
    assert.equal(cvx.inspections.at(-1)!.part, undefined, 'no part yet');
    assert.equal(before.fields.total, 1, 'no part at the station is NG');
    try {
      for (let n = 1; n <= 3; n++) {
        const completed = new Promise<{ id: number; sku: string }>((resolve) => {
          const off = line.onPartCompleted((part) => {
            off();
            // Held still while the camera looks, so the next part cannot arrive first.
            line.setRunCommand(false);
            resolve(part);
          });
        });
        line.setRunCommand(true);
        const part = await completed;
        const result = (await vision.call('trigger')) as { fields: Record<string, number>; result: string };
        const inspection = cvx.inspections.at(-1)!;
        assert.deepEqual(inspection.part, { id: part.id, sku: part.sku });
        assert.equal(part.id, n);
        assert.equal(result.result, inspection.line);
        const scratched = cvx.model.inspect(part, cvx.station, 'scratch').defective;
        assert.equal(result.fields.total, scratched ? 1 : 0, 'judged as the defect model judges that part');
      }
    } finally {
      line.setRunCommand(false);
    }
  });
});
