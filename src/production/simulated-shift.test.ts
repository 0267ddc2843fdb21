import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { outageRelay } from '../storage/postgres/testing/outage-relay.ts';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../storage/postgres/testing/throwaway-postgres.ts';
import { loadLineReport, shiftPeriod } from './line-report-data.ts';
import { LineTracker, type TrackedPart } from './line-tracker.ts';
import type { LineStore } from './store/line-store.ts';
import { LineWriteQueue } from './store/line-write-queue.ts';
import { PostgresLineStore } from './store/postgres-line-store.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { FakeLinePlc } from './testing/fake-line-plc.ts';
import { FakeStationVision } from './testing/fake-station-vision.ts';
import { testLineConfig } from './testing/line-test-config.ts';
import { runSimulatedShift } from './testing/simulated-line.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-shift-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = await postgresUnavailable();
let db: ThrowawayDatabase | undefined;
after(async () => db?.drop());

// A two-hour shift keeps the test short: 110 min planned after a 10-minute break.
const line = testLineConfig({
  shifts: [{ name: 'E', start: '06:00', end: '08:00', breaks: ['07:00-07:10'] }],
});
const DATE = '2026-12-01';
const profile = {
  date: DATE,
  shiftName: 'E',
  faultAt: '06:30',
  faultMs: 12 * 60_000,
  faultCode: 'F301',
  microStopRate: 0.08,
  microStopMs: 2500,
  jitterMs: 100,
  defectRates: { scratch: 0.03, dent: 0.02 },
};

function rig(store: LineStore) {
  const clock = new ManualClock(Date.parse(`${DATE}T05:59:00Z`));
  const plc = new FakeLinePlc(clock, {
    'Line.State': 0,
    'Part.Completed': false,
    'Part.Id': '',
    'Part.Sku': '',
  });
  const vision = new FakeStationVision();
  const alarms: string[] = [];
  const waiters: (() => void)[] = [];
  let tracked = 0;
  const latencies: number[] = [];
  let tracker!: LineTracker;
  const queue = new LineWriteQueue({
    store,
    clock,
    capacity: 100_000,
    retryMs: 2000,
    onBacklog: (state, n) => tracker.storageBacklog(state, n),
  });
  tracker = new LineTracker({
    line,
    plc,
    vision: { station01: vision },
    store,
    queue,
    clock,
    alarms: { raise: (c) => alarms.push(`+${c}`), clear: (c) => alarms.push(`-${c}`) },
    onTracked: (t: TrackedPart) => {
      tracked += 1;
      latencies.push(t.latencyMs);
      for (const w of waiters.splice(0)) w();
    },
  });
  const untilTracked = async (n: number) => {
    while (tracked < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { clock, plc, vision, queue, tracker, alarms, untilTracked };
}

describe('a simulated shift through the tracker', () => {
  it('A, P, Q and OEE from the stored records are within 1 % of the simulator’s truth; FPY and Pareto within sampling', async () => {
    const store = new SqliteLineStore(join(dir, 'shift.sqlite'));
    const r = rig(store);
    await r.tracker.start();
    const sim = await runSimulatedShift({ ...profile, line, seed: 21, ...r });
    await r.tracker.stop();
    await r.queue.flush();
    const report = await loadLineReport(store, line, shiftPeriod(line, DATE, 'E'));
    await store.close();
    const k = report.kpis;
    assert.equal(k.produced, sim.parts);
    assert.equal(k.plannedBusyMs, 110 * 60_000);
    const { truth } = sim;
    for (const key of ['availability', 'performance', 'quality'] as const)
      assert.ok(Math.abs(k[key] - truth[key]) <= 0.01, `${key}: ${k[key]} vs truth ${truth[key]}`);
    const oeeTruth = truth.availability * truth.performance * truth.quality;
    assert.ok(Math.abs(k.oee - oeeTruth) <= 0.01, `OEE ${k.oee} vs ${oeeTruth}`);
    // FPY: every part is inspected once here, so it is the good fraction; 3σ of sampling
    const sampling = 3 * Math.sqrt((truth.quality * (1 - truth.quality)) / sim.parts);
    assert.ok(Math.abs(k.firstPassYield - truth.quality) <= sampling, `FPY ${k.firstPassYield}`);
    const scratch = report.pareto.byClass.find((b) => b.key === 'scratch')!;
    const share = 0.03 / 0.05;
    assert.ok(Math.abs(scratch.percent / 100 - share) < 0.08, `scratch share ${scratch.percent}`);
    assert.deepEqual(k.downtime, [{ reason: 'F301', durationMs: profile.faultMs, stops: 1 }]);
    assert.deepEqual(r.alarms, []);
    assert.equal(r.plc.writes.length, sim.parts);
  });

  it(
    'a database outage mid-shift: parts are held (S101 raised), all written after it returns, none lost',
    { skip },
    async () => {
      db = await createThrowawayDatabase('benchtop_simshift_test');
      const direct = new URL(db.url);
      const relay = await outageRelay({ host: '127.0.0.1', port: Number(direct.port || 5432) });
      const relayed = new URL(db.url);
      relayed.port = String(relay.port);
      const store = await PostgresLineStore.open({
        url: relayed.toString(),
        timescaledb: 'off',
        retentionDays: 0,
      });
      const r = rig(store);
      await r.tracker.start();
      let held = 0;
      const sim = await runSimulatedShift({
        ...profile,
        line,
        seed: 22,
        ...r,
        afterPart: async (n) => {
          if (n === 500) relay.takeDown();
          if (n === 1500) {
            held = r.queue.stats.queuedRecords;
            relay.bringBack();
          }
        },
      });
      await r.tracker.stop();
      // retries wait on the manual clock, writes on the socket: advance one, yield to the other
      while (r.queue.stats.queuedRecords > 0) {
        await r.clock.advance(2000);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await r.queue.flush();
      assert.ok(held >= 900, `only ${held} records were held during the outage`);
      assert.ok(r.alarms.includes('+S101') && r.alarms.at(-1) === '-S101', r.alarms.join(' '));
      assert.equal(r.queue.stats.rejectedBatches, 0);
      await store.close();
      await relay.close();
      const check = await PostgresLineStore.open({ url: db.url, timescaledb: 'off', retentionDays: 0 });
      const report = await loadLineReport(check, line, shiftPeriod(line, DATE, 'E'));
      const parts = await check.parts({ lineId: line.id, from: 0, to: Number.MAX_SAFE_INTEGER });
      await check.close();
      assert.equal(parts.length, sim.parts);
      assert.equal(new Set(parts.map((p) => p.partId)).size, sim.parts);
      assert.equal(report.kpis.produced, sim.parts);
      assert.ok(Math.abs(report.kpis.availability - sim.truth.availability) <= 0.01);
    },
  );
});
