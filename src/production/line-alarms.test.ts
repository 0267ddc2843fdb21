import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../test/support/server-harness.ts';
import { AlarmService } from '../alarms/alarm-service.ts';
import { AlarmStore } from '../alarms/alarm-store.ts';
import { ManualClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { buildServer } from '../server/server.ts';
import { lineAlarmId, lineAlarmSink } from './line-alarm-sink.ts';
import { LineTracker, type TrackedPart } from './line-tracker.ts';
import type { LineStore } from './store/line-store.ts';
import { LineWriteQueue } from './store/line-write-queue.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { FakeLinePlc } from './testing/fake-line-plc.ts';
import { FakeStationVision } from './testing/fake-station-vision.ts';
import { testLineConfig } from './testing/line-test-config.ts';

const OK = { judgement: 0, scratch_score: 0.1, dent_score: 0.05, width_mm: 10.01 };
const W204 = lineAlarmId('assembly1', 'W204');
const F205 = lineAlarmId('assembly1', 'F205');
const S101 = lineAlarmId('assembly1', 'S101');
const S102 = lineAlarmId('assembly1', 'S102');

async function untilWaiting(vision: FakeStationVision): Promise<void> {
  for (let turn = 0; vision.inFlight === 0; turn++) {
    if (turn > 1000) throw new Error('no trigger arrived');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The tracker's alarms through the real alarm service and the real /api/v1/alarms routes and
 * /metrics: the line's W204, F205, S101 and S102 are alarms like an instrument's.
 */
describe('line alarms in the alarm service', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let alarmStore: AlarmStore;
  let service: AlarmService;
  let lineStore: SqliteLineStore;
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 7, 0, 0));

  before(async () => {
    h = await serverHarness();
    alarmStore = AlarmStore.inOutputDir(h.dir);
    service = new AlarmService({
      alarms: [],
      instruments: [],
      bus: h.bus,
      clock,
      store: alarmStore,
      logger: silentLogger(),
    });
    service.start();
    h.ctx.metrics.attachAlarms(service);
    lineStore = new SqliteLineStore(join(h.dir, 'production.sqlite'));
    ({ app } = await buildServer({ ...h.ctx, alarms: service }, { checkReplies: true }));
  });
  after(async () => {
    await app.close();
    service.stop();
    alarmStore.close();
    await lineStore.close();
    await h.close();
  });

  function rig(store: LineStore = lineStore, capacity = 10_000) {
    const plc = new FakeLinePlc(clock, {
      'Line.State': 1,
      'Part.Completed': false,
      'Part.Id': '',
      'Part.Sku': '',
    });
    const vision = new FakeStationVision();
    // wired as ProductionLines wires it
    const queue: LineWriteQueue = new LineWriteQueue({
      store,
      clock,
      capacity,
      retryMs: 1000,
      onBacklog: (state, n) => tracker.storageBacklog(state, n),
    });
    const tracked: TrackedPart[] = [];
    const waiters: (() => void)[] = [];
    const tracker: LineTracker = new LineTracker({
      line: testLineConfig(),
      plc,
      vision: { station01: vision },
      store,
      queue,
      clock,
      alarms: lineAlarmSink('assembly1', service),
      onTracked: (t) => {
        tracked.push(t);
        for (const w of waiters.splice(0)) w();
      },
    });
    const untilTracked = async (count: number) => {
      while (tracked.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    return { plc, vision, queue, tracker, tracked, untilTracked };
  }

  const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();
  const metric = async (line: string) =>
    (await app.inject({ method: 'GET', url: '/metrics' })).body.split('\n').find((l) => l.startsWith(line));

  it('every code the tracker or the PLC raises is declared, normal, with the severity and priority of its kind', () => {
    lineAlarmSink('assembly1', service);
    const declared = service
      .list()
      .filter((a) => a.kind === 'line')
      .map((a) => [a.id, a.priority, a.state, a.instrument]);
    assert.deepEqual(declared, [
      [W204, 'medium', 'normal', 'assembly1'],
      [F205, 'high', 'normal', 'assembly1'],
      [S101, 'medium', 'normal', 'assembly1'],
      [S102, 'high', 'normal', 'assembly1'],
      // and the PLC's, for alarm_tag
      [lineAlarmId('assembly1', 'F103'), 'high', 'normal', 'assembly1'],
      [lineAlarmId('assembly1', 'F301'), 'high', 'normal', 'assembly1'],
      [lineAlarmId('assembly1', 'W102'), 'medium', 'normal', 'assembly1'],
    ]);
  });

  it('a vision timeout raises W204 (then F205) through the life cycle: active, cleared by a result, acknowledged', async () => {
    const r = rig();
    await r.tracker.start();
    r.vision.script('silent', 'silent', 'silent');
    for (let i = 1; i <= 3; i++) {
      r.plc.completePart({ 'Part.Id': `T${i}`, 'Part.Sku': 'X' });
      await untilWaiting(r.vision);
      await clock.advance(3000);
      await r.untilTracked(i);
    }
    const listed = (await get('/api/v1/alarms')).alarms as {
      id: string;
      state: string;
      condition: string;
      severity: string;
      value: number | null;
    }[];
    const line = listed.filter((a) => a.id.startsWith('line:'));
    assert.deepEqual(
      line.map((a) => [a.id, a.state, a.condition, a.severity, a.value]),
      [
        [W204, 'unack_active', 'RAISED', 'minor', 1],
        [F205, 'unack_active', 'RAISED', 'major', 3],
      ],
    );
    assert.equal(
      await metric('benchtop_alarms_active{priority="high"}'),
      'benchtop_alarms_active{priority="high"} 1',
    );
    assert.equal(
      await metric('benchtop_alarms_active{priority="medium"}'),
      'benchtop_alarms_active{priority="medium"} 1',
    );

    r.vision.script({ fields: OK });
    r.plc.completePart({ 'Part.Id': 'T4', 'Part.Sku': 'X' });
    await r.untilTracked(4);
    assert.deepEqual(
      [service.get(W204).state, service.get(F205).state],
      ['unack_rtn', 'unack_rtn'],
      'cleared by the tracker, still to be acknowledged',
    );
    const ack = await app.inject({
      method: 'POST',
      url: `/api/v1/alarms/${encodeURIComponent(W204)}/ack`,
      payload: { comment: 'camera cable reseated' },
    });
    assert.deepEqual([ack.statusCode, ack.json().state], [200, 'normal']);
    const history = (await get(`/api/v1/alarms/history?alarm=${encodeURIComponent(W204)}`)) as {
      event: string;
      comment: string | null;
    }[];
    assert.deepEqual(
      history.map((e) => [e.event, e.comment]),
      [
        ['acknowledged', 'camera cable reseated'],
        ['cleared', null],
        ['activated', 'Quality gate failure at station01: part not judged (vision timeout after 3000 ms)'],
      ],
    );
    assert.equal(await metric('benchtop_alarms_unacknowledged'), 'benchtop_alarms_unacknowledged 1');
    service.acknowledge(F205, 'ada', 'ok');
    await r.tracker.stop();
  });

  it('a database that fails raises S101 while parts are held, and clears it once all are written', async () => {
    let down = true;
    const written: string[] = [];
    const flaky = {
      write: async (b: { parts: { partId: string }[] }) => {
        if (down) throw new Error('connection refused');
        written.push(...b.parts.map((p) => p.partId));
      },
      inspectionCount: async () => 0,
    } as unknown as LineStore;
    const r = rig(flaky);
    await r.tracker.start();
    r.vision.script({ fields: OK }, { fields: OK });
    r.plc.completePart({ 'Part.Id': 'D1', 'Part.Sku': 'X' });
    await r.untilTracked(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(service.get(S101).state, 'unack_active');
    assert.equal(service.history({ alarm: S101 })[0]?.event, 'activated');
    r.plc.completePart({ 'Part.Id': 'D2', 'Part.Sku': 'X' });
    await r.untilTracked(2);
    down = false;
    await clock.advance(1000);
    await r.queue.flush();
    assert.deepEqual(written, ['D1', 'D2']);
    assert.equal(service.get(S101).state, 'unack_rtn');
    service.acknowledge(S101, 'ada', 'db restarted');
    await r.tracker.stop();
    await r.queue.close();
  });

  it('a database too slow for the line (writes succeed, the queue passes its backlog mark) raises S101 too', async () => {
    let release: (() => void) | undefined;
    const slow = {
      write: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      inspectionCount: async () => 0,
    } as unknown as LineStore;
    const sink = lineAlarmSink('assembly1', service);
    const held: string[] = [];
    const q = new LineWriteQueue({
      store: slow,
      clock,
      capacity: 1_000,
      backlogRecords: 3,
      onBacklog: (state) => {
        held.push(state);
        if (state === 'holding') sink.raise('S101', 'slow', { queuedRecords: 3 });
        else sink.clear('S101');
      },
    });
    const part = (id: string) => ({
      parts: [{ partId: id } as never],
      defects: [],
      events: [],
    });
    q.enqueue(part('a')); // in the store's hands
    q.enqueue(part('b'));
    assert.deepEqual(held, []);
    q.enqueue(part('c'));
    assert.deepEqual(held, ['holding']);
    assert.deepEqual([service.get(S101).state, service.get(S101).value], ['unack_active', 3]);
    while (q.stats.queuedRecords > 0) {
      release?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await q.flush();
    assert.deepEqual(held, ['holding', 'drained']);
    assert.equal(service.get(S101).state, 'unack_rtn');
    service.acknowledge(S101, 'ada', 'vacuum finished');
  });

  it('a full queue raises S102 (records are being lost) once; it clears when the backlog is written', async () => {
    let down = true;
    const flaky = {
      write: async () => {
        if (down) throw new Error('connection refused');
      },
      inspectionCount: async () => 0,
    } as unknown as LineStore;
    const r = rig(flaky, 2);
    await r.tracker.start();
    r.vision.script({ fields: OK }, { fields: OK }, { fields: OK });
    for (let i = 1; i <= 3; i++) {
      r.plc.completePart({ 'Part.Id': `Q${i}`, 'Part.Sku': 'X' });
      await r.untilTracked(i);
    }
    assert.ok(r.tracker.stats.storeRejected >= 1);
    assert.equal(service.get(S102).state, 'unack_active');
    assert.equal(service.history({ alarm: S102 }).filter((e) => e.event === 'activated').length, 1);
    down = false;
    await clock.advance(1000);
    await r.queue.flush();
    assert.equal(service.get(S102).state, 'unack_rtn');
    await r.tracker.stop();
    await r.queue.close();
  });

  it('an alarm saved active by a process that has gone is cleared when its line declares it again', () => {
    service.setRaised(F205, true, { message: 'before the restart' });
    const again = new AlarmService({
      alarms: [],
      instruments: [],
      bus: h.bus,
      clock,
      store: alarmStore,
      logger: silentLogger(),
    });
    lineAlarmSink('assembly1', again);
    assert.deepEqual([again.get(F205).active, again.get(F205).acknowledged], [false, false]);
    service.setRaised(F205, false);
  });
});
