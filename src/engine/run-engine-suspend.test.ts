import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunEvent } from '../core/documents.ts';
import type { RunEngine } from './run-engine.ts';
import type { RunStateChange } from './run-events.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from './testing/fake-lab.ts';

let lab: FakeLab;
let engine: RunEngine;
let states: RunStateChange[];

beforeEach(async () => {
  lab = await fakeLab();
  states = [];
  lab.bus.on('run.state', (s) => states.push(s));
  engine = labEngine(lab, { onInstrumentUnavailable: 'suspend', suspendTimeoutS: 120 });
});

afterEach(async () => {
  await engine.shutdown();
  await lab.stop();
});

const eventsOf = (): RunEvent[] =>
  lab.writers
    .at(-1)!
    .documents.filter((d) => d.name === 'event')
    .map((d) => d.doc as RunEvent);

describe('a run survives its instruments dropping out (Bluesky suspenders)', () => {
  it('a 60 s time_series whose meter drops for 3 s every 10 s ends success, the gaps as missing values', async () => {
    const { uid } = engine.submit('time_series', {
      signals: ['meter.power'],
      interval_s: 0.2,
      duration_s: 60,
    });
    const open = lab.clock.monotonic();
    const openWall = lab.clock.now() / 1000;
    const drops = [10, 20, 30, 40, 50];
    for (const at of drops) {
      lab.clock.setTimeout(() => {
        lab.meter.unplugged = true;
      }, at * 1000);
      lab.clock.setTimeout(
        () => {
          lab.meter.unplugged = false;
        },
        (at + 3) * 1000,
      );
    }
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 10, 20_000);
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.ok(lab.clock.monotonic() - open < 61_000, 'the series kept its schedule');
    const events = eventsOf();
    assert.equal(events.length, 301);
    assert.deepEqual(
      events.map((e) => e.seq_num),
      events.map((_, i) => i + 1),
    );
    const missing = events.filter((e) => e.data['meter.power'] === null);
    const taken = events.filter((e) => e.data['meter.power'] !== null);
    // Each outage is 3 s of 0.2 s slots, plus the reconnect after it.
    assert.ok(missing.length >= 5 * 12 && missing.length <= 5 * 18, `${missing.length} missing`);
    for (const event of missing) {
      assert.equal(event.timestamps['meter.power'], undefined, 'a missing value has no timestamp');
      const t = event.time - openWall;
      assert.ok(
        drops.some((d) => t >= d - 0.2 && t <= d + 3.6),
        `missing point at ${t.toFixed(2)} s is inside an outage`,
      );
    }
    // A value is never a late or repeated reading: each was taken within its own slot.
    taken.forEach((event) => {
      const k = event.seq_num - 1;
      const late = event.timestamps['meter.power']! - (openWall + k * 0.2);
      assert.ok(late >= -1e-6 && late <= 0.2 + 1e-6, `point ${k} read ${late.toFixed(3)} s after its slot`);
    });
    const suspended = states.filter((s) => s.uid === uid && s.state === 'suspended');
    assert.ok(suspended.length >= drops.length, `${suspended.length} suspensions`);
    for (const s of suspended) {
      assert.match(s.reason ?? '', /^meter is unavailable: /);
      assert.equal(typeof s.suspended_at, 'number');
      assert.equal(s.fails_at, s.suspended_at! + 120);
    }
    assert.deepEqual(engine.activeSuspensions(), []);
  });

  it('fails after suspend_timeout_s with the reason when the instrument does not come back', async () => {
    const { uid } = engine.submit('time_series', {
      signals: ['meter.power'],
      interval_s: 1,
      duration_s: 600,
    });
    lab.clock.setTimeout(() => {
      lab.meter.unplugged = true;
    }, 2_500);
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 100, 5_000);
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'INSTRUMENT_UNAVAILABLE');
    assert.match(info.reason!, /^meter was unavailable for 120 s \(\[engine\] suspend_timeout_s\): /);
    const suspendedAt = states.find((s) => s.uid === uid && s.state === 'suspended')!.suspended_at!;
    assert.ok(Math.abs(info.ended_at! - (suspendedAt + 120)) < 1, 'failed 120 s after it suspended');
    assert.equal(info.num_events.primary, 3);
    assert.deepEqual(engine.activeSuspensions(), [], 'the next run is not held');
  });

  it('a run that ends while suspended releases its hold on the instrument', async () => {
    lab.meter.unplugged = true;
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 3 });
    await runClockUntil(
      lab.clock,
      lab.bus.once('run.state', (s) => s.uid === uid && s.state === 'suspended'),
    );
    assert.deepEqual(engine.get(uid)?.suspended_by, [engine.activeSuspensions()[0]]);
    engine.abort('operator gave up');
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'abort');
    assert.deepEqual(engine.activeSuspensions(), []);
    assert.equal(info.suspended_at, null);
  });

  it('suspends as soon as an instrument of the run drops out, even while the plan is sleeping', async () => {
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 3, delay: 10 });
    await runClockUntil(
      lab.clock,
      lab.bus.once('run.progress', (p) => p.uid === uid && p.done === 1),
    );
    const reads = lab.meter.reads;
    await lab.clock.advance(2_000);
    lab.meter.unplugged = true;
    const suspended = lab.bus.once('run.state', (s) => s.uid === uid && s.state === 'suspended');
    void lab.supervisor.restart('meter'); // disconnects, and the reconnect fails: the cable is out
    const state = await runClockUntil(lab.clock, suspended);
    assert.match(state.reason ?? '', /^meter is unavailable: meter is stopping/);
    assert.equal(lab.meter.reads, reads, 'noticed from the actor, before any read failed');
    lab.meter.unplugged = false;
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.deepEqual(info.num_events, { primary: 3 });
  });
});
