import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlarmService } from '../alarms/alarm-service.ts';
import { AlarmStore } from '../alarms/alarm-store.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { splitGroups } from './delegated-logging.ts';
import { type AgentAlarmView, SiteAlarms } from './site-alarms.ts';

function setup() {
  const service = new AlarmService({
    alarms: [],
    instruments: [],
    bus: new EventBus<BenchtopEvents>(),
    clock: new ManualClock(),
    store: AlarmStore.inOutputDir(mkdtempSync(join(tmpdir(), 'benchtop-site-alarms-'))),
    logger: silentLogger(),
  });
  service.start();
  return { service, site: new SiteAlarms(service, 100) };
}

const agent = (over: Partial<AgentAlarmView>): AgentAlarmView => ({
  agentId: 'hostA',
  host: 'hostA.lab',
  liveness: 'alive',
  offsetMs: 0,
  outbox: { pendingBytes: 0, capacityBytes: 4096, droppedSamples: 0, overflowing: false },
  ...over,
});

describe('SiteAlarms', () => {
  it('raises clock:<agent> past the limit and clears it back under', () => {
    const { service, site } = setup();
    site.update([agent({ offsetMs: 40 })]);
    assert.equal(service.get('clock:hostA').active, false);
    site.update([agent({ offsetMs: -250 })]);
    const raised = service.get('clock:hostA');
    assert.equal(raised.active, true);
    assert.equal(raised.condition, 'CLOCK_OFFSET');
    assert.equal(raised.value, -250);
    site.update([agent({ offsetMs: 10 })]);
    assert.equal(service.get('clock:hostA').active, false);
    assert.equal(service.get('clock:hostA').state, 'unack_rtn');
  });

  it('raises log_buffer:<agent> on new drops even if the buffer already drained, then clears', () => {
    const { service, site } = setup();
    site.update([agent({})]);
    assert.equal(service.get('log_buffer:hostA').active, false);
    const drained = { pendingBytes: 10, capacityBytes: 4096, droppedSamples: 30, overflowing: false };
    site.update([agent({ outbox: drained })]);
    assert.equal(service.get('log_buffer:hostA').active, true);
    assert.equal(service.get('log_buffer:hostA').value, 30);
    site.update([agent({ outbox: drained })]);
    assert.equal(service.get('log_buffer:hostA').active, false);
    assert.equal(service.get('log_buffer:hostA').activations, 1);
  });

  it('leaves a stale agent as it was (its instruments’ communication alarms speak for it)', () => {
    const { service, site } = setup();
    site.update([agent({ offsetMs: 500 })]);
    site.update([agent({ offsetMs: 0, liveness: 'stale' })]);
    assert.equal(service.get('clock:hostA').active, true);
  });
});

describe('splitGroups', () => {
  it("keeps this host's signals and hands the rest to the agents, group by group", () => {
    const { local, remote } = splitGroups(
      [
        { name: 'mixed', interval_s: 1, signals: ['oven.temp', 'meter.power'] },
        { name: 'remote', interval_s: 0.5, signals: ['meter.wavelength'] },
      ],
      (id) => id === 'oven',
    );
    assert.deepEqual(local, [{ name: 'mixed', interval_s: 1, signals: ['oven.temp'] }]);
    assert.deepEqual(remote, [
      { name: 'mixed', interval_s: 1, signals: ['meter.power'] },
      { name: 'remote', interval_s: 0.5, signals: ['meter.wavelength'] },
    ]);
  });
});
