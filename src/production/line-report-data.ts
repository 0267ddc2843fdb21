import type { LineConfig } from '../config/line-schema.ts';
import { plannedIntervals, shiftWindow, type TimeInterval } from '../config/shift-times.ts';
import { BenchtopError } from '../core/errors.ts';
import { type DefectPareto, defectPareto } from './defect-pareto.ts';
import { computeLineKpis, type LineKpis } from './line-kpis.ts';
import { alarmSpans, type PartRecord } from './line-records.ts';
import {
  type Capability,
  capability,
  type IndividualsChart,
  individualsChart,
  type XbarRChart,
  xbarRChart,
} from './spc.ts';
import type { LineStore } from './store/line-store.ts';

/** What a shift or batch report (and the KPI API) shows, computed from the store. */
export interface LineReportData {
  title: string;
  lineId: string;
  window: TimeInterval;
  planned: TimeInterval[];
  kpis: LineKpis;
  pareto: DefectPareto;
  /** First-inspection cycle times in part order (the chart's series). */
  cycleTimes: number[];
  cycleTimeChart: IndividualsChart | undefined;
  cycleTimeXbarR: XbarRChart | undefined;
  measures: { name: string; chart: IndividualsChart | undefined; capability: Capability | null }[];
  /** Alarm activations in the window by code. */
  alarmCounts: { code: string; count: number }[];
  idealCycleMs: number;
}

export interface ReportPeriod {
  title: string;
  /** Parts and events are read from this window. */
  window: TimeInterval;
  /** Planned busy time inside it. */
  planned: TimeInterval[];
  /** Only parts of this batch (a batch report). */
  batch?: string;
}

/** Shift `name` of `date` (factory-local day the shift starts on). */
export function shiftPeriod(line: LineConfig, date: string, name: string): ReportPeriod {
  const shift = line.shifts.find((s) => s.name === name);
  if (!shift) {
    throw new BenchtopError(
      'NOT_FOUND',
      `Line ${line.id} has no shift "${name}" (shifts: ${line.shifts.map((s) => s.name).join(', ') || 'none'})`,
      { line: line.id, shift: name },
    );
  }
  return {
    title: `Line ${line.id} — shift ${name}, ${date}`,
    window: shiftWindow(shift, date, line.utc_offset_minutes),
    planned: plannedIntervals(shift, date, line.utc_offset_minutes),
  };
}

/** Batch `BYYYYMMDD`: the parts made that factory-local day, across all its shifts. */
export function batchPeriod(line: LineConfig, batch: string): ReportPeriod {
  const m = /^B(\d{4})(\d{2})(\d{2})$/.exec(batch);
  if (!m)
    throw new BenchtopError('VALIDATION_FAILED', `batch must look like B20261201, not "${batch}"`, { batch });
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const windows = line.shifts.map((s) => shiftWindow(s, date, line.utc_offset_minutes));
  const dayStart = Date.parse(`${date}T00:00:00Z`) - line.utc_offset_minutes * 60_000;
  const window = {
    start: Math.min(dayStart, ...windows.map((w) => w.start)),
    end: Math.max(dayStart + 86_400_000, ...windows.map((w) => w.end)),
  };
  return {
    title: `Line ${line.id} — batch ${batch}`,
    window,
    planned: line.shifts
      .flatMap((s) => plannedIntervals(s, date, line.utc_offset_minutes))
      .sort((a, b) => a.start - b.start),
    batch,
  };
}

export async function loadLineReport(
  store: LineStore,
  line: LineConfig,
  period: ReportPeriod,
): Promise<LineReportData> {
  const w = { lineId: line.id, from: period.window.start, to: period.window.end };
  const [allParts, allDefects, events, before] = await Promise.all([
    store.parts(w),
    store.defects(w),
    store.events(w),
    store.stateBefore(line.id, period.window.start),
  ]);
  const parts = period.batch ? allParts.filter((p) => p.batch === period.batch) : allParts;
  const inspections = new Set(parts.map((p) => p.id));
  const defects = allDefects.filter((d) => inspections.has(d.inspectionId));
  const alarms = alarmSpans(events);
  const kpis = computeLineKpis(
    {
      planned: period.planned,
      initialState: before ?? 'stopped',
      stateChanges: events
        .filter((e) => e.kind === 'state' && e.state)
        .map((e) => ({ time: e.time, state: e.state! })),
      alarms,
      parts,
      idealCycleMs: line.ideal_cycle_ms,
      targetPerHour: line.target_per_hour,
    },
    defects,
  );
  const first = parts.filter((p) => p.attempt === 1);
  const cycleTimes = first.map((p) => p.cycleTimeMs).filter((c): c is number => typeof c === 'number');
  const counts = new Map<string, number>();
  for (const a of alarms) counts.set(a.code, (counts.get(a.code) ?? 0) + 1);
  return {
    title: period.title,
    lineId: line.id,
    window: period.window,
    planned: period.planned,
    kpis,
    pareto: defectPareto(defects),
    cycleTimes,
    cycleTimeChart: individualsChart(cycleTimes),
    cycleTimeXbarR: xbarRChart(cycleTimes, 5),
    measures: measureCharts(line, first),
    alarmCounts: [...counts.entries()]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count),
    idealCycleMs: line.ideal_cycle_ms,
  };
}

function measureCharts(line: LineConfig, parts: readonly PartRecord[]): LineReportData['measures'] {
  const out: LineReportData['measures'] = [];
  for (const station of line.stations) {
    for (const [name, spec] of Object.entries(station.measures)) {
      const values = parts.map((p) => p.measures[name]).filter((v): v is number => typeof v === 'number');
      const chart = individualsChart(values);
      const hasSpec = spec.lsl !== undefined || spec.usl !== undefined;
      out.push({
        name,
        chart,
        capability: chart && hasSpec ? capability(chart.center, chart.sigma, spec) : null,
      });
    }
  }
  return out;
}

/**
 * Any window [from, to): its planned busy time is every shift's planned time (breaks excluded)
 * on the days it touches, clipped to the window.
 */
export function windowPeriod(line: LineConfig, from: number, to: number): ReportPeriod {
  const planned: TimeInterval[] = [];
  const offset = line.utc_offset_minutes * 60_000;
  // a night shift that began the day before can reach into the window
  for (let day = Math.floor((from + offset) / 86_400_000) - 1; day * 86_400_000 - offset < to; day++) {
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    for (const shift of line.shifts)
      for (const p of plannedIntervals(shift, date, line.utc_offset_minutes)) {
        const start = Math.max(p.start, from);
        const end = Math.min(p.end, to);
        if (end > start) planned.push({ start, end });
      }
  }
  planned.sort((a, b) => a.start - b.start);
  return {
    title: `Line ${line.id} — ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`,
    window: { start: from, end: to },
    planned,
  };
}
