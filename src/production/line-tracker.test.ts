import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import type { LineConfig } from '../config/line-schema.ts';
import { ManualClock } from '../core/clock.ts';
import { judgeInspection } from './inspection-judgement.ts';
import { alarmSpans } from './line-records.ts';
import { LineTracker, type TrackedPart } from './line-tracker.ts';
import { LineWriteQueue } from './store/line-write-queue.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { FakeLinePlc } from './testing/fake-line-plc.ts';
import { FakeStationVision } from './testing/fake-station-vision.ts';
import { testLineConfig } from './testing/line-test-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-tracker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OK = { judgement: 0, scratch_score: 0.1, dent_score: 0.05, width_mm: 10.01 };
const SCRATCH = {
  judgement: 1,
  scratch_score: 0.92,
  dent_score: 0.1,
  scratch_x: 120,
  scratch_y: 44,
  width_mm: 10,
};
const DENT = { judgement: 1, scratch_score: 0.2, dent_score: 0.8, width_mm: 9.99 };
const BOTH = { judgement: 1, scratch_score: 0.8, dent_score: 0.9, width_mm: 10 };

/** Turns the event loop until the camera has a trigger waiting for its result. */
async function untilWaiting(vision: FakeStationVision): Promise<void> {
  for (let turn = 0; vision.inFlight === 0; turn++) {
    if (turn > 1000) throw new Error('no trigger arrived');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let n = 0;
function rig({
  line: lineOverrides,
  ...options
}: {
  timeoutsForCommFault?: number;
  line?: Partial<LineConfig>;
} = {}) {
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 7, 0, 0));
  const plc = new FakeLinePlc(clock, {
    'Line.State': 1,
    'Part.Completed': false,
    'Part.Id': '',
    'Part.Sku': '',
  });
  const vision = new FakeStationVision();
  const store = new SqliteLineStore(join(dir, `t${++n}.sqlite`));
  const queue = new LineWriteQueue({ store, clock, capacity: 10_000 });
  const alarms: string[] = [];
  const tracked: TrackedPart[] = [];
  const waiters: (() => void)[] = [];
  const line = testLineConfig(lineOverrides);
  const tracker = new LineTracker({
    line,
    plc,
    vision: { station01: vision },
    store,
    queue,
    clock,
    ...options,
    alarms: { raise: (code) => alarms.push(`+${code}`), clear: (code) => alarms.push(`-${code}`) },
    onTracked: (t) => {
      tracked.push(t);
      for (const w of waiters.splice(0)) w();
    },
  });
  const untilTracked = async (count: number) => {
    while (tracked.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const window = { lineId: 'assembly1', from: 0, to: Number.MAX_SAFE_INTEGER };
  return { clock, plc, vision, store, queue, tracker, alarms, tracked, untilTracked, window, line };
}

describe('inspection judgement', () => {
  const station = testLineConfig().stations[0]!;
  it('a score at the threshold is an NG tool; all-rework classes rework; the total judgement alone fails', () => {
    assert.equal(judgeInspection(station, { fields: OK }).result, 'pass');
    assert.equal(judgeInspection(station, { fields: { ...OK, scratch_score: 0.75 } }).result, 'fail');
    assert.equal(judgeInspection(station, { fields: DENT }).result, 'rework');
    assert.equal(judgeInspection(station, { fields: BOTH }).result, 'fail');
    assert.equal(judgeInspection(station, { fields: { ...OK, judgement: 2 } }).result, 'fail');
    const j = judgeInspection(station, { fields: SCRATCH });
    assert.deepEqual(j.defects, [{ class: 'scratch', confidence: 0.92, box: { x: 120, y: 44 } }]);
    assert.ok(Math.abs(j.qualityScore! - 0.08) < 1e-12);
    assert.deepEqual(j.measures, { width_mm: 10 });
  });
});

describe('LineTracker', () => {
  let r: ReturnType<typeof rig>;
  beforeEach(async () => {
    r = rig();
    await r.tracker.start();
  });

  it('each part is read, inspected, judged, stored with one defect per NG tool, and written back', async () => {
    r.vision.script({ fields: OK }, { fields: SCRATCH }, { fields: DENT }, { fields: BOTH });
    const skus = ['S-A', 'S-B', 'S-A', 'S-C'];
    for (const [i, sku] of skus.entries()) {
      await r.clock.advance(1250);
      r.plc.completePart({ 'Part.Id': `P${i + 1}`, 'Part.Sku': sku });
      await r.untilTracked(i + 1);
    }
    assert.deepEqual(
      r.plc.writes.map((w) => [w.tag, w.value]),
      [
        ['Quality.Result', 1],
        ['Quality.Result', 2],
        ['Quality.Result', 3],
        ['Quality.Result', 2],
      ],
    );
    await r.queue.flush();
    const parts = await r.store.parts(r.window);
    assert.deepEqual(
      parts.map((p) => [p.partId, p.sku, p.result, p.batch, p.station, p.attempt, p.cycleTimeMs]),
      [
        ['P1', 'S-A', 'pass', 'B20261201', 'station01', 1, null],
        ['P2', 'S-B', 'fail', 'B20261201', 'station01', 1, 1250],
        ['P3', 'S-A', 'rework', 'B20261201', 'station01', 1, 1250],
        ['P4', 'S-C', 'fail', 'B20261201', 'station01', 1, 1250],
      ],
    );
    assert.deepEqual(parts[1]!.measures, { width_mm: 10 });
    const defects = await r.store.defects(r.window);
    assert.deepEqual(defects.map((d) => [d.partId, d.class, d.confidence, d.disposition, d.station]).sort(), [
      ['P2', 'scratch', 0.92, 'pending', 'station01'],
      ['P3', 'dent', 0.8, 'pending', 'station01'],
      ['P4', 'dent', 0.9, 'pending', 'station01'],
      ['P4', 'scratch', 0.8, 'pending', 'station01'],
    ]);
    assert.deepEqual(defects.find((d) => d.partId === 'P2')!.box, { x: 120, y: 44 });
    assert.ok(defects.every((d) => parts.some((p) => p.id === d.inspectionId && p.partId === d.partId)));
  });

  it('one inspection in flight per station; results match parts first in first out', async () => {
    for (const id of ['F1', 'F2', 'F3']) r.plc.completePart({ 'Part.Id': id, 'Part.Sku': 'X' });
    for (const [i, answer] of [SCRATCH, OK, DENT].entries()) {
      await untilWaiting(r.vision);
      assert.equal(r.vision.triggers, i + 1, 'the next trigger waits for the previous result');
      r.vision.respond(answer);
      await r.untilTracked(i + 1);
    }
    assert.equal(r.vision.maxInFlight, 1);
    assert.deepEqual(
      r.tracked.map((t) => [t.part.partId, t.part.result]),
      [
        ['F1', 'fail'],
        ['F2', 'pass'],
        ['F3', 'rework'],
      ],
    );
  });

  it('a vision timeout leaves the part pending with its reason, raises W204 once, diverts it; a result clears it', async () => {
    r.vision.script('silent', 'silent');
    r.plc.completePart({ 'Part.Id': 'T1', 'Part.Sku': 'X' });
    await untilWaiting(r.vision);
    await r.clock.advance(3000);
    await r.untilTracked(1);
    r.plc.completePart({ 'Part.Id': 'T2', 'Part.Sku': 'X' });
    await untilWaiting(r.vision);
    await r.clock.advance(3000);
    await r.untilTracked(2);
    assert.deepEqual(
      r.tracked.map((t) => [t.part.result, t.part.reason, t.resultWritten]),
      [
        ['pending', 'station01: vision timeout after 3000 ms', 2],
        ['pending', 'station01: vision timeout after 3000 ms', 2],
      ],
    );
    assert.deepEqual(r.alarms, ['+W204']);
    assert.equal(r.vision.inFlight, 0, 'the timed-out triggers were given up');
    r.vision.script({ fields: OK });
    r.plc.completePart({ 'Part.Id': 'T3', 'Part.Sku': 'X' });
    await r.untilTracked(3);
    assert.equal(r.tracked[2]!.part.result, 'pass');
    assert.deepEqual(r.alarms, ['+W204', '-W204']);
    await r.queue.flush();
    const events = await r.store.events(r.window);
    assert.deepEqual(
      alarmSpans(events).map((s) => [s.code, s.clearedAt !== null]),
      [['W204', true]],
    );
    assert.equal(r.tracker.stats.pending, 2);
  });

  it('repeated vision failures become F205 (communication error)', async () => {
    r.vision.script(new Error('socket closed'), 'silent', 'silent');
    for (const [i, id] of ['C1', 'C2', 'C3'].entries()) {
      r.plc.completePart({ 'Part.Id': id, 'Part.Sku': 'X' });
      if (i > 0) await untilWaiting(r.vision);
      await r.clock.advance(3000);
      await r.untilTracked(i + 1);
    }
    assert.equal(r.tracked[0]!.part.reason, 'station01: vision error: socket closed');
    assert.deepEqual(r.alarms, ['+W204', '+F205']);
  });

  it("a slow store look-up of one part's earlier inspections does not let the next part's trigger overtake it", async () => {
    let releaseFirst: ((n: number) => void) | undefined;
    r.store.inspectionCount = (_line: string, partId: string) =>
      partId === 'S1'
        ? new Promise<number>((resolve) => {
            releaseFirst = resolve;
          })
        : Promise.resolve(0);
    r.vision.script({ fields: OK }, { fields: SCRATCH });
    r.plc.completePart({ 'Part.Id': 'S1', 'Part.Sku': 'X' });
    r.plc.completePart({ 'Part.Id': 'S2', 'Part.Sku': 'X' });
    await r.untilTracked(1);
    releaseFirst?.(0);
    await r.untilTracked(2);
    const byId = Object.fromEntries(r.tracked.map((t) => [t.part.partId, t.part.result]));
    assert.deepEqual(byId, { S1: 'pass', S2: 'fail' }, 'the first trigger is the first part');
  });

  it('a part inspected again after rework is attempt 2', async () => {
    r.vision.script({ fields: DENT }, { fields: OK });
    r.plc.completePart({ 'Part.Id': 'R1', 'Part.Sku': 'X' });
    await r.untilTracked(1);
    r.plc.completePart({ 'Part.Id': 'R1', 'Part.Sku': 'X' });
    await r.untilTracked(2);
    assert.deepEqual(
      r.tracked.map((t) => [t.part.result, t.part.attempt]),
      [
        ['rework', 1],
        ['pass', 2],
      ],
    );
  });

  it('line states are recorded with the previous state’s duration', async () => {
    await r.clock.advance(60_000);
    r.plc.set('Line.State', 3);
    await r.clock.advance(30_000);
    r.plc.set('Line.State', 1);
    r.plc.set('Line.State', 9); // not a state: ignored
    await r.queue.flush();
    const events = (await r.store.events(r.window)).filter((e) => e.kind === 'state');
    assert.deepEqual(
      events.map((e) => [e.state, e.previousDurationMs]),
      [
        ['running', null],
        ['fault', 60_000],
        ['running', 30_000],
      ],
    );
  });

  it('with the PLC link down a part is not invented: counted, nothing stored or written', async () => {
    r.plc.linkDown = true;
    r.plc.completePart({ 'Part.Id': 'L1', 'Part.Sku': 'X' });
    await r.tracker.stop();
    await r.queue.flush();
    assert.equal(r.tracker.stats.unreadParts, 1);
    assert.equal(r.vision.triggers, 0);
    assert.deepEqual(await r.store.parts(r.window), []);
    assert.deepEqual(r.plc.writes, []);
  });

  it('health: defect rate of the last parts, PLC and camera links as the path saw them', async () => {
    assert.deepEqual(r.tracker.health().visionConnected, { station01: null });
    r.vision.script({ fields: OK }, { fields: SCRATCH }, { fields: DENT }, { fields: OK }, 'silent');
    for (const [i, id] of ['H1', 'H2', 'H3', 'H4', 'H5'].entries()) {
      r.plc.completePart({ 'Part.Id': id, 'Part.Sku': 'X' });
      if (i === 4) {
        await untilWaiting(r.vision);
        await r.clock.advance(3000);
      }
      await r.untilTracked(i + 1);
    }
    const h = r.tracker.health();
    // the pending part (timeout) is not judged: 2 defective of 4
    assert.deepEqual(
      [h.defectRate, h.recentParts, h.plcConnected, h.visionConnected],
      [0.5, 4, true, { station01: false }],
    );
    r.plc.linkDown = true;
    r.plc.completePart({ 'Part.Id': 'H6', 'Part.Sku': 'X' });
    await r.tracker.stop();
    assert.equal(r.tracker.health().plcConnected, false);
    assert.equal(r.tracker.health().parts, 5);
  });

  it('a store that does not answer never holds up a part (the re-inspection lookup gives up after 100 ms)', async () => {
    r.store.inspectionCount = () => new Promise<number>(() => {});
    r.vision.script({ fields: OK });
    r.plc.completePart({ 'Part.Id': 'W1', 'Part.Sku': 'X' });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.tracked.length, 0);
    await r.clock.advance(100);
    await r.untilTracked(1);
    assert.deepEqual([r.tracked[0]!.part.attempt, r.tracked[0]!.resultWritten], [1, 1]);
  });
});

describe('LineTracker with the PLC part counter (counter_tag)', () => {
  it('an edge seen again is not a new part; parts made while the link was down are counted as missed', async () => {
    const r = rig({ line: { counter_tag: 'Part.Counter' } });
    r.plc.tags.set('Part.Counter', 10);
    await r.tracker.start();
    r.vision.script({ fields: OK }, { fields: OK }, { fields: OK });
    r.plc.completePart({ 'Part.Id': 'C11', 'Part.Sku': 'X', 'Part.Counter': 11 });
    await r.untilTracked(1);
    // The same part's edge again (a reconnect republishing Part.Completed): the counter has not moved.
    r.plc.completePart({ 'Part.Id': 'C11', 'Part.Sku': 'X', 'Part.Counter': 11 });
    // Link down while parts 12..14 are made; back for part 15.
    r.plc.linkDown = true;
    r.plc.completePart({ 'Part.Id': 'C12', 'Part.Sku': 'X', 'Part.Counter': 12 });
    r.plc.linkDown = false;
    r.plc.tags.set('Part.Counter', 14);
    r.plc.completePart({ 'Part.Id': 'C15', 'Part.Sku': 'X', 'Part.Counter': 15 });
    await r.untilTracked(2);
    await r.tracker.stop();
    await r.queue.flush();
    const stats = r.tracker.stats;
    assert.equal(stats.repeatedEvents, 1);
    assert.equal(stats.unreadParts, 1);
    // 11 and 15 tracked, 12..14 missed: 5 = the counter's rise from 10 to 15, none invented.
    assert.equal(stats.missedParts, 3);
    assert.deepEqual(
      (await r.store.parts(r.window)).map((p) => p.partId),
      ['C11', 'C15'],
    );
    assert.equal(r.vision.triggers, 2);
  });
});

describe('LineTracker with Part.Counter as the part event (part_event = counter_tag)', () => {
  /** Started with the counter at 10; results scripted for more parts than any test makes, so a
   * step counted twice shows as an extra stored part instead of a trigger nobody answers. */
  async function counting({ linkDownAtStart = false } = {}) {
    const r = rig({ line: { part_event: 'Part.Counter', counter_tag: 'Part.Counter' } });
    r.plc.tags.set('Part.Counter', 10);
    r.plc.linkDown = linkDownAtStart;
    await r.tracker.start();
    r.vision.script(...Array.from({ length: 10 }, () => ({ fields: OK })));
    /** The PLC counts part `counter`: its fields, then the counter, in one scan. */
    const count = (counter: number) => {
      r.plc.tags.set('Part.Id', `C${counter}`);
      r.plc.tags.set('Part.Sku', 'X');
      r.plc.set('Part.Counter', counter);
    };
    /** Stops the tracker (every part in progress finished) and lists the stored part ids. */
    const storedIds = async () => {
      await r.tracker.stop();
      await r.queue.flush();
      return (await r.store.parts(r.window)).map((p) => p.partId);
    };
    return { ...r, count, storedIds };
  }

  it('each step of the counter is one part; the value at start and the same value again are none', async () => {
    const r = await counting();
    r.plc.set('Part.Counter', 10); // the start value published again
    r.count(11);
    await r.untilTracked(1);
    r.plc.set('Part.Counter', 11); // re-sent unchanged (a read, a republish)
    r.count(12);
    await r.untilTracked(2);
    assert.deepEqual(await r.storedIds(), ['C11', 'C12']);
    assert.equal(r.vision.triggers, 2);
    assert.deepEqual([r.tracker.stats.parts, r.tracker.stats.missedParts], [2, 0]);
    assert.deepEqual(
      r.plc.writes.map((w) => w.tag),
      ['Quality.Result', 'Quality.Result'],
    );
  });

  it('without a counter read at start, its first reading is where counting starts, not a part', async () => {
    const r = await counting({ linkDownAtStart: true });
    r.plc.restoreLink(); // the first scan: Part.Counter = 10
    r.count(11);
    await r.untilTracked(1);
    assert.deepEqual(await r.storedIds(), ['C11']);
    assert.equal(r.tracker.stats.missedParts, 0);
  });

  it('a counter reset (down to 0) is no part; counting goes on from it', async () => {
    const r = await counting();
    r.count(11);
    await r.untilTracked(1);
    r.plc.set('Part.Counter', 0);
    r.count(1);
    await r.untilTracked(2);
    assert.deepEqual(await r.storedIds(), ['C11', 'C1']);
    assert.deepEqual([r.tracker.stats.parts, r.tracker.stats.missedParts], [2, 0]);
  });

  it('a jump of more than one stores the part now showing and counts the skipped ones as missed', async () => {
    const r = await counting();
    r.count(13);
    await r.untilTracked(1);
    assert.deepEqual(await r.storedIds(), ['C13']);
    // 11 and 12 missed, 13 stored: the counter's rise of 3.
    assert.deepEqual([r.tracker.stats.parts, r.tracker.stats.missedParts], [1, 2]);
  });

  it('what the counter rose by while the link was down is missed; its first reading back is no part', async () => {
    const r = await counting();
    r.count(11);
    await r.untilTracked(1);
    r.plc.loseLink();
    r.plc.restoreLink(); // back with the counter unchanged: nothing made, nothing missed
    r.plc.loseLink();
    r.plc.tags.set('Part.Id', 'C14');
    r.plc.tags.set('Part.Counter', 14); // 12..14 made unseen
    r.plc.restoreLink();
    r.count(15);
    await r.untilTracked(2);
    assert.deepEqual(await r.storedIds(), ['C11', 'C15']);
    assert.equal(r.tracker.stats.missedParts, 3);
    assert.equal(r.tracker.stats.parts + r.tracker.stats.missedParts, 15 - 10);
  });

  it('a step whose part fields cannot be read is unread and missed, so stored + missed still = the counter', async () => {
    const r = await counting();
    r.plc.linkDown = true; // reads fail, the reading of the step still came
    r.count(11);
    assert.deepEqual(await r.storedIds(), []);
    assert.deepEqual([r.tracker.stats.unreadParts, r.tracker.stats.missedParts], [1, 1]);
  });
});

describe("LineTracker with the PLC's alarm code (alarm_tag)", () => {
  it('the PLC code active at start and each change after it are raised and cleared, as events and alarms', async () => {
    const r = rig({ line: { alarm_tag: 'Alarm.Code' } });
    r.plc.tags.set('Alarm.Code', -102);
    await r.tracker.start();
    assert.deepEqual(r.alarms, ['+W102'], 'the warning showing at start');
    await r.clock.advance(60_000);
    r.plc.set('Alarm.Code', 301);
    r.plc.set('Alarm.Code', 301);
    await r.clock.advance(60_000);
    r.plc.set('Alarm.Code', 0);
    assert.deepEqual(r.alarms, ['+W102', '-W102', '+F301', '-F301']);
    await r.tracker.stop();
    await r.queue.flush();
    // a stop during F301 is blamed on it: the spans the KPIs use
    assert.deepEqual(
      alarmSpans(await r.store.events(r.window)).map((s) => [s.code, s.clearedAt !== null]),
      [
        ['W102', true],
        ['F301', true],
      ],
    );
  });
});
