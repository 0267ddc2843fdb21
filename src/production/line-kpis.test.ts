import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plannedIntervals } from '../config/shift-times.ts';
import { SeededRandom } from '../sim/random.ts';
import { defectPareto } from './defect-pareto.ts';
import { summarize } from './descriptive-statistics.ts';
import { computeLineKpis, type StateChange } from './line-kpis.ts';
import type { AlarmSpan, PartRecord } from './line-records.ts';
import { capability, individualsChart, westernElectric, xbarRChart } from './spc.ts';
import { partRecord } from './testing/line-facts-builders.ts';

const MIN = 60_000;
const close = (actual: number, expected: number, tolerance = 1e-9, what = '') =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} ${actual} is not within ${tolerance} of ${expected}`,
  );

describe('line KPIs (ISO 22400-2)', () => {
  it("the reference's example: 420 of 480 min running, ideal 1 min, 400 made, 380 good", () => {
    const parts = Array.from({ length: 400 }, (_, i) =>
      partRecord({ partId: `p${i}`, result: i < 380 ? 'pass' : 'fail', time: i * MIN }),
    );
    const kpis = computeLineKpis({
      planned: [{ start: 0, end: 480 * MIN }],
      initialState: 'running',
      stateChanges: [
        { time: 100 * MIN, state: 'fault' },
        { time: 160 * MIN, state: 'running' },
      ],
      alarms: [{ code: 'F301', raisedAt: 100 * MIN, clearedAt: 158 * MIN }],
      parts,
      idealCycleMs: MIN,
      targetPerHour: 60,
    });
    close(kpis.availability, 0.875);
    close(kpis.performance, 400 / 420);
    close(kpis.quality, 0.95);
    close(kpis.oee, 0.875 * (400 / 420) * 0.95);
    assert.equal(kpis.oee.toFixed(3), '0.792');
    assert.deepEqual(kpis.downtime, [{ reason: 'F301', durationMs: 60 * MIN, stops: 1 }]);
    close(kpis.throughputPerHour, 50);
    close(kpis.throughputVsTarget, 50 / 60);
    close(kpis.scrapRatio, 0.05);
  });

  it('availability is 1 with no planned time and performance is capped at 1', () => {
    const none = computeLineKpis({
      planned: [],
      initialState: 'stopped',
      stateChanges: [],
      alarms: [],
      parts: [],
      idealCycleMs: 1000,
      targetPerHour: 1,
    });
    assert.equal(none.availability, 1);
    assert.equal(none.cycleTime, undefined);
    const fast = computeLineKpis({
      planned: [{ start: 0, end: 10_000 }],
      initialState: 'running',
      stateChanges: [],
      alarms: [],
      parts: Array.from({ length: 20 }, (_, i) => partRecord({ partId: `f${i}`, result: 'pass' })),
      idealCycleMs: 1000,
      targetPerHour: 1,
    });
    assert.equal(fast.performance, 1);
    close(fast.performanceRaw, 2);
  });

  it('FPY, final yield, scrap and rework: a reworked part re-inspected good counts only for final yield', () => {
    const parts = [
      partRecord({ partId: 'A', result: 'pass', time: 1 }),
      partRecord({ partId: 'B', result: 'rework', time: 2 }),
      partRecord({ partId: 'C', result: 'fail', time: 3 }),
      partRecord({ partId: 'D', result: 'pending', time: 4, reason: 'vision timeout' }),
      partRecord({ partId: 'E', result: 'rework', time: 5 }),
      partRecord({ partId: 'B', result: 'pass', time: 6, attempt: 2 }),
    ];
    const kpis = computeLineKpis(
      {
        planned: [{ start: 0, end: 3_600_000 }],
        initialState: 'running',
        stateChanges: [],
        alarms: [],
        parts,
        idealCycleMs: 1000,
        targetPerHour: 10,
      },
      [{ inspectionId: parts[1]!.id }, { inspectionId: parts[1]!.id }, { inspectionId: parts[2]!.id }],
    );
    assert.equal(kpis.produced, 5);
    assert.equal(kpis.good, 1);
    assert.equal(kpis.inspected, 4);
    close(kpis.firstPassYield, 1 / 4);
    close(kpis.quality, 1 / 5);
    close(kpis.finalYield, 2 / 5);
    close(kpis.scrapRatio, 1 / 5);
    close(kpis.reworkRatio, 2 / 5);
    close(kpis.defectRate, 2 / 5);
    close(kpis.throughputPerHour, 5);
  });

  it('downtime by reason: the active alarm, one raised during the stop, or the state; breaks excluded', () => {
    const kpis = computeLineKpis({
      // 0–60 min and 70–120 min planned (a 10-minute break between)
      planned: [
        { start: 0, end: 60 * MIN },
        { start: 70 * MIN, end: 120 * MIN },
      ],
      initialState: 'running',
      stateChanges: [
        { time: 10 * MIN, state: 'paused' }, // no alarm: state:paused, 5 min
        { time: 15 * MIN, state: 'running' },
        { time: 30 * MIN, state: 'fault' }, // W102 raised during: 4 min
        { time: 34 * MIN, state: 'running' },
        { time: 55 * MIN, state: 'stopped' }, // the break (planned) is not downtime
        { time: 72 * MIN, state: 'running' }, // 55–60 and 70–72: stopped by F103, active since 54
      ],
      alarms: [
        { code: 'W102', raisedAt: 31 * MIN, clearedAt: 33 * MIN },
        { code: 'F103', raisedAt: 54 * MIN, clearedAt: null },
      ],
      parts: [],
      idealCycleMs: 1000,
      targetPerHour: 1,
    });
    assert.deepEqual(kpis.downtime, [
      { reason: 'F103', durationMs: 7 * MIN, stops: 2 },
      { reason: 'state:paused', durationMs: 5 * MIN, stops: 1 },
      { reason: 'W102', durationMs: 4 * MIN, stops: 1 },
    ]);
    assert.equal(kpis.plannedBusyMs, 110 * MIN);
    assert.equal(kpis.actualProductionMs, 94 * MIN);
    assert.deepEqual(kpis.stateMs, { running: 94 * MIN, paused: 5 * MIN, fault: 4 * MIN, stopped: 7 * MIN });
  });

  it('cycle time summary: mean, p50, p95 (linear), sample σ, range', () => {
    const s = summarize([5, 1, 4, 2, 3])!;
    assert.equal(s.mean, 3);
    assert.equal(s.p50, 3);
    close(s.p95, 4.8);
    close(s.sigma, Math.sqrt(2.5));
    assert.deepEqual([s.min, s.max, s.n], [1, 5, 5]);
  });
});

describe('defect Pareto', () => {
  it('sorted by count with cumulative %, by class and by station', () => {
    const p = defectPareto([
      { class: 'scratch', station: 's1' },
      { class: 'dent', station: 's2' },
      { class: 'scratch', station: 's1' },
      { class: 'scratch', station: 's2' },
    ]);
    assert.deepEqual(p.byClass, [
      { key: 'scratch', count: 3, percent: 75, cumulativePercent: 75 },
      { key: 'dent', count: 1, percent: 25, cumulativePercent: 100 },
    ]);
    assert.deepEqual(
      p.byStation.map((b) => [b.key, b.count, b.cumulativePercent]),
      [
        ['s1', 2, 50],
        ['s2', 2, 100],
      ],
    );
    assert.equal(p.byStationClass[0]!.key, 's1/scratch');
  });
});

describe('SPC', () => {
  it('individuals chart: σ̂ = MR̄ / 1.128, ±3σ limits', () => {
    const chart = individualsChart([10, 12, 11, 13, 12])!;
    close(chart.mrBar, 1.5);
    close(chart.center, 11.6);
    close(chart.sigma, 1.5 / 1.128);
    close(chart.ucl, 11.6 + (3 * 1.5) / 1.128);
    close(chart.lcl, 11.6 - (3 * 1.5) / 1.128);
    close(chart.mrUcl, 3.267 * 1.5);
    assert.ok(chart.points.every((p) => p.violations.length === 0));
  });

  it('X̄-R chart with A2, D3, D4 for subgroups of 3; a partial subgroup is left out', () => {
    const chart = xbarRChart([1, 2, 3, 2, 3, 4, 9], 3)!;
    assert.deepEqual(
      chart.points.map((p) => [p.value, p.range]),
      [
        [2, 2],
        [3, 2],
      ],
    );
    close(chart.center, 2.5);
    close(chart.rBar, 2);
    close(chart.ucl, 2.5 + 1.023 * 2);
    close(chart.lcl, 2.5 - 1.023 * 2);
    close(chart.rUcl, 2.574 * 2);
    assert.equal(chart.rLcl, 0);
  });

  it('Western Electric rules 1–4 flag the point that completes them', () => {
    const flagged = (zs: number[]) =>
      westernElectric(zs, 0, 1)
        .map((rules, i) => (rules.length ? `${i}:${rules.join('+')}` : ''))
        .filter(Boolean);
    assert.deepEqual(flagged([0, 0, 3.5]), ['2:1']);
    assert.deepEqual(flagged([2.5, 0, 2.5]), ['2:2']);
    assert.deepEqual(flagged([-2.5, 0.5, -2.2]), ['2:2']);
    assert.deepEqual(flagged([2.5, 0, -2.5]), []);
    assert.deepEqual(flagged([1.5, 1.5, 0, 1.5, 1.5]), ['4:3']);
    assert.deepEqual(flagged([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), ['7:4']);
    assert.deepEqual(flagged([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5]), []);
  });

  it('a shifted mean on an individuals chart is flagged', () => {
    const random = new SeededRandom(7);
    const values = [
      ...Array.from({ length: 30 }, () => 10 + 0.1 * random.gaussian()),
      ...Array.from({ length: 10 }, () => 10.5 + 0.1 * random.gaussian()),
    ];
    const chart = individualsChart(values)!;
    const flaggedAfterShift = chart.points.slice(30).filter((p) => p.violations.length > 0).length;
    const flaggedBefore = chart.points.slice(0, 30).filter((p) => p.violations.includes(1)).length;
    assert.ok(flaggedAfterShift >= 5, `only ${flaggedAfterShift} of the shifted points flagged`);
    assert.equal(flaggedBefore, 0);
  });

  it('Cp and Cpk from spec limits; one limit gives Cpk only', () => {
    const both = capability(10, 0.1, { lsl: 9.7, usl: 10.5 });
    close(both.cp!, 0.8 / 0.6);
    close(both.cpk!, 1);
    assert.deepEqual(capability(10, 0.1, { usl: 10.6 }).cp, null);
    close(capability(10, 0.1, { usl: 10.6 }).cpk!, 2);
    assert.deepEqual(capability(10, 0, { lsl: 1, usl: 2 }), { cp: null, cpk: null });
  });
});

/**
 * A synthetic shift with a known truth: shift A 06:00–14:00 with a 10:00–10:20 break (460 min
 * planned), one F301 fault of exactly 25 min, an ideal cycle of 1200 ms with 0–100 ms jitter and
 * a 3 s micro-stop on 10 % of cycles (the line stays `running`), scratch (scrap) on 3 % and dent
 * (rework, re-inspected good) on 2 % of parts.
 */
function syntheticShift(seed: number) {
  const random = new SeededRandom(seed);
  const shift = { name: 'A', start: '06:00', end: '14:00', breaks: ['10:00-10:20'] };
  const planned = plannedIntervals(shift, '2026-12-01', 0);
  const dayStart = planned[0]!.start;
  const at = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return dayStart - 6 * 60 * MIN + (h! * 60 + m!) * MIN;
  };
  const faultMs = 25 * MIN;
  const interruptions = [
    { start: at('08:00'), end: at('08:00') + faultMs, state: 'fault' as const },
    { start: at('10:00'), end: at('10:20'), state: 'stopped' as const },
  ];
  const stateChanges: StateChange[] = [];
  const alarms: AlarmSpan[] = [{ code: 'F301', raisedAt: at('08:00'), clearedAt: at('08:00') + faultMs }];
  const parts: PartRecord[] = [];
  let t = at('06:00');
  const end = at('14:00');
  let n = 0;
  while (t < end) {
    const next = interruptions.find((i) => i.end > t);
    const cycle = 1200 + 100 * random.next() + (random.next() < 0.1 ? 3000 : 0);
    if (next && t + cycle > next.start) {
      // the line idles (running) until the interruption, then waits it out
      stateChanges.push({ time: next.start, state: next.state }, { time: next.end, state: 'running' });
      t = next.end;
      continue;
    }
    if (t + cycle > end) break;
    t += cycle;
    n += 1;
    const scratch = random.next() < 0.03;
    const dent = random.next() < 0.02;
    const result = scratch ? 'fail' : dent ? 'rework' : 'pass';
    parts.push(partRecord({ partId: `P${n}`, result, time: t, cycleTimeMs: cycle }));
    if (result === 'rework')
      parts.push(partRecord({ partId: `P${n}`, result: 'pass', time: t + 1, attempt: 2 }));
  }
  const truth = {
    availability: (460 - 25) / 460,
    performance: 1200 / (1250 + 0.1 * 3000),
    quality: 0.97 * 0.98,
  };
  return { planned, stateChanges, alarms, parts, truth, faultMs };
}

describe('a synthetic shift with known truth', () => {
  for (const seed of [1, 2, 3]) {
    it(`A, P, Q and OEE within 1 % (absolute) of the configured truth (seed ${seed})`, () => {
      const shift = syntheticShift(seed);
      const kpis = computeLineKpis({
        planned: shift.planned,
        initialState: 'running',
        stateChanges: shift.stateChanges,
        alarms: shift.alarms,
        parts: shift.parts,
        idealCycleMs: 1200,
        targetPerHour: 2800,
      });
      const { truth } = shift;
      close(kpis.availability, truth.availability, 0.01, 'availability');
      close(kpis.performance, truth.performance, 0.01, 'performance');
      close(kpis.quality, truth.quality, 0.01, 'quality');
      close(kpis.oee, truth.availability * truth.performance * truth.quality, 0.01, 'OEE');
      // the fault is the only downtime inside planned time, blamed on its alarm
      assert.deepEqual(kpis.downtime, [{ reason: 'F301', durationMs: shift.faultMs, stops: 1 }]);
      close(kpis.finalYield, 0.97, 0.01, 'final yield');
      close(kpis.firstPassYield, truth.quality, 0.01, 'FPY');
      close(kpis.cycleTime!.mean, 1550, 15, 'mean cycle');
    });
  }
});
