import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { AlarmEntry, type AlarmEntry as AlarmEntryType } from '../config/schema.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import { isBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { AlarmService } from './alarm-service.ts';
import { AlarmStore } from './alarm-store.ts';

function setup(entries: Partial<AlarmEntryType>[], dir = mkdtempSync(join(tmpdir(), 'benchtop-alarms-'))) {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const store = AlarmStore.inOutputDir(dir);
  const alarms = entries.map(
    (e) => Value.Default(AlarmEntry, { signal: 'meter.power', ...e }) as AlarmEntryType,
  );
  const service = new AlarmService({
    alarms,
    instruments: [{ id: 'meter', type: 'Newport1830C' }],
    bus,
    clock,
    store,
    logger: silentLogger(),
    storagePath: dir,
  });
  service.start();
  const changes: BenchtopEvents['alarm.changed'][] = [];
  bus.on('alarm.changed', (c) => changes.push(c));
  const read = (value: number, quality: 'good' | 'invalid' = 'good') =>
    bus.emit('instrument.reading', {
      instrument: 'meter',
      signal: 'power',
      value,
      timestamp: clock.now(),
      quality,
    });
  const state = (s: 'ready' | 'failed' | 'restarting') =>
    bus.emit('actor.state', {
      id: 'meter',
      kind: 'Newport1830C',
      state: s,
      previous: null,
      at: clock.now(),
      restarts: 0,
    });
  return { clock, bus, store, service, changes, read, state, dir };
}

describe('alarm life cycle (ISA-18.2)', () => {
  it('activates on a limit, and active/acknowledged are tracked separately', () => {
    const { service, read, changes } = setup([{ high: 1, hihi: 2 }]);
    read(0.5);
    assert.equal(service.get('meter.power').state, 'normal');
    read(1.5);
    let a = service.get('meter.power');
    assert.deepEqual(
      [a.active, a.acknowledged, a.condition, a.severity, a.state],
      [true, false, 'HIGH', 'minor', 'unack_active'],
    );
    read(0.2);
    a = service.get('meter.power');
    assert.deepEqual(
      [a.active, a.acknowledged, a.state],
      [false, false, 'unack_rtn'],
      'cleared but never acknowledged',
    );
    service.acknowledge('meter.power', 'ada', 'saw it');
    a = service.get('meter.power');
    assert.deepEqual([a.state, a.acked_by, a.ack_comment], ['normal', 'ada', 'saw it']);
    assert.deepEqual(
      changes.map((c) => c.event.event),
      ['activated', 'cleared', 'acknowledged'],
    );
  });

  it('escalation to major re-annunciates an acknowledged alarm', () => {
    const { service, read } = setup([{ high: 1, hihi: 2 }]);
    read(1.5);
    service.acknowledge('meter.power', 'ada', '');
    read(2.5);
    const a = service.get('meter.power');
    assert.deepEqual([a.condition, a.severity, a.acknowledged], ['HIHI', 'major', false]);
    assert.throws(
      () => service.acknowledge('meter.power', 'ada', '') && service.acknowledge('meter.power', 'ada', ''),
      (e) => isBenchtopError(e, 'ALARM_STATE_CONFLICT'),
    );
  });

  it('on-delay and off-delay filter short excursions', async () => {
    const { service, read, clock } = setup([{ high: 1, on_delay_s: 2, off_delay_s: 5 }]);
    read(1.5);
    await clock.advance(1_000);
    read(0.5);
    await clock.advance(5_000);
    assert.equal(service.get('meter.power').active, false, 'a 1 s excursion never activates');
    read(1.5);
    await clock.advance(2_000);
    assert.equal(service.get('meter.power').active, true);
    read(0.5);
    await clock.advance(4_000);
    assert.equal(service.get('meter.power').active, true, 'still inside the off-delay');
    await clock.advance(1_000);
    assert.equal(service.get('meter.power').active, false);
  });

  it('hysteresis keeps a hovering value from chattering', () => {
    const { service, read, changes } = setup([{ high: 1, hysteresis: 0.1 }]);
    for (const v of [1.01, 0.99, 1.02, 0.95, 1.0]) read(v);
    assert.equal(changes.filter((c) => c.event.event === 'activated').length, 1);
    read(0.85);
    assert.equal(service.get('meter.power').active, false);
  });

  it('shelving needs a reason, is bounded, and ends by itself', async () => {
    const { service, clock, read } = setup([{ high: 1, max_shelve_s: 3600 }]);
    assert.throws(
      () => service.shelve('meter.power', 'ada', '', 60),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => service.shelve('meter.power', 'ada', 'maintenance', 7200),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    service.shelve('meter.power', 'ada', 'detector swap', 600);
    read(5);
    assert.equal(service.get('meter.power').state, 'shelved');
    assert.equal(service.get('meter.power').active, true, 'still tracked while shelved');
    await clock.advance(600_000);
    const a = service.get('meter.power');
    assert.equal(a.shelved, null);
    assert.equal(a.state, 'unack_active');
    assert.equal(service.history({ alarm: 'meter.power' })[0]!.comment, 'shelving expired');
  });

  it('a lost link raises one communication alarm and freezes the instrument limit alarms', () => {
    const { service, read, state, changes } = setup([{ high: 1 }, { id: 'power_low', low: 0.1 }]);
    state('failed');
    state('restarting');
    read(0, 'invalid');
    read(50);
    const comm = service.get('comm:meter');
    assert.deepEqual([comm.active, comm.kind, comm.severity], [true, 'communication', 'major']);
    assert.equal(service.get('meter.power').active, false);
    assert.equal(service.get('power_low').active, false);
    assert.equal(changes.filter((c) => c.event.event === 'activated').length, 1, 'one alarm, no flood');
    state('ready');
    assert.equal(service.get('comm:meter').active, false);
    read(50);
    assert.equal(service.get('meter.power').active, true, 'limits apply again once the link is back');
  });

  it('a full data disk raises the storage alarm, which clears (still to acknowledge) when space returns', () => {
    const { service, bus, changes, dir } = setup([]);
    assert.equal(service.get('storage').active, false);
    bus.emit('storage.disk', { full: true, path: dir, free_bytes: 0, reason: 'disk full (ENOSPC)' });
    const full = service.get('storage');
    assert.deepEqual(
      [full.active, full.kind, full.condition, full.severity, full.priority],
      [true, 'storage', 'DISK_FULL', 'major', 'critical'],
    );
    assert.ok(full.description.includes(dir));
    bus.emit('storage.disk', { full: false, path: dir, free_bytes: 1e9, reason: null });
    assert.deepEqual([service.get('storage').active, service.get('storage').state], [false, 'unack_rtn']);
    assert.deepEqual(
      changes.map((c) => c.event.event),
      ['activated', 'cleared'],
    );
  });

  it('state and history survive a restart', () => {
    const first = setup([{ high: 1 }]);
    first.read(2);
    first.service.acknowledge('meter.power', 'ada', 'known');
    first.service.stop();
    first.store.close();
    const second = setup([{ high: 1 }], first.dir);
    const a = second.service.get('meter.power');
    assert.deepEqual([a.active, a.acknowledged, a.acked_by], [true, true, 'ada']);
    assert.deepEqual(
      second.service.history().map((e) => e.event),
      ['acknowledged', 'activated'],
    );
  });

  it('counts flood (more than 10 in 10 min) and chattering (3 in a minute)', async () => {
    const { service, read, clock } = setup([{ high: 1 }]);
    for (let i = 0; i < 3; i++) {
      read(2);
      read(0);
      await clock.advance(1_000);
    }
    assert.deepEqual(service.rates().chattering, ['meter.power']);
    assert.equal(service.rates().flood, false);
    for (let i = 0; i < 8; i++) {
      read(2);
      read(0);
    }
    assert.equal(service.rates().flood, true);
    await clock.advance(11 * 60_000);
    assert.deepEqual(service.rates(), { floodActivations: 0, flood: false, chattering: [] });
  });

  it('suspend_runs alarms ask the engine to suspend and resume', () => {
    const { bus, read } = setup([{ low: 0.1, suspend_runs: true }]);
    const requests: boolean[] = [];
    bus.on('alarm.suspend_runs', (r) => requests.push(r.active));
    read(0.01);
    read(1);
    assert.deepEqual(requests, [true, false]);
  });

  it('raised alarms: set by their source, severity from the definition, shelved and counted like the rest', async () => {
    const { service, changes, clock } = setup([{ high: 1 }]);
    service.defineRaised({
      id: 'line:l1:W204',
      kind: 'line',
      source: 'l1',
      description: 'W204 Quality gate failure (line l1)',
      priority: 'medium',
      severity: 'minor',
    });
    service.defineRaised({
      id: 'line:l1:W204',
      kind: 'line',
      source: 'l1',
      description: 'again',
      priority: 'high',
      severity: 'major',
    });
    assert.equal(
      service.get('line:l1:W204').description,
      'W204 Quality gate failure (line l1)',
      'idempotent',
    );
    service.setRaised('line:l1:W204', true, { message: 'station01 timed out', value: 2 });
    service.setRaised('line:l1:W204', true, { message: 'again' });
    let a = service.get('line:l1:W204');
    assert.deepEqual(
      [a.state, a.condition, a.severity, a.value, a.activations],
      ['unack_active', 'RAISED', 'minor', 2, 1],
    );
    assert.deepEqual(
      changes.map((c) => [c.event.event, c.event.comment]),
      [['activated', 'station01 timed out']],
    );
    assert.equal(service.rates().floodActivations, 1, 'counted towards a flood');
    service.shelve('line:l1:W204', 'ada', 'camera being replaced', 600);
    assert.equal(service.get('line:l1:W204').state, 'shelved');
    await clock.advance(600_000);
    service.setRaised('line:l1:W204', false);
    a = service.get('line:l1:W204');
    assert.deepEqual([a.active, a.shelved, a.state], [false, null, 'unack_rtn']);
    assert.throws(
      () => service.setRaised('meter.power', true),
      (e: unknown) => isBenchtopError(e) && e.code === 'VALIDATION_FAILED',
      'a limit alarm is evaluated by the service, not raised',
    );
  });
});
