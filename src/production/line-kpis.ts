import type { TimeInterval } from '../config/shift-times.ts';
import { type SampleSummary, summarize } from './descriptive-statistics.ts';
import type { AlarmSpan, DefectRecord, LineState, PartRecord } from './line-records.ts';

/**
 * Production KPIs as ISO 22400-2 defines them, computed only from recorded facts:
 *   PBT planned busy time = the shifts' time minus planned breaks (the `planned` intervals);
 *   APT actual production time = time in `running` within PBT;
 *   PQ produced quantity = first inspections; GQ good = passed first time; SQ scrap = parts
 *   whose latest inspection failed; RQ rework = parts sent to rework at least once.
 *   Availability = APT / PBT (1 when PBT = 0); Effectiveness = PRU·PQ / APT, capped at 1;
 *   Quality = GQ / PQ; OEE = A·E·Q.
 * A reworked part re-inspected as good counts for final yield, never for FPY or quality.
 */
export interface StateChange {
  time: number;
  state: LineState;
}

export interface LineFacts {
  /** Planned busy time (shift minus breaks), disjoint intervals. */
  planned: readonly TimeInterval[];
  /** The line's state when the first planned interval begins (from the last change before it). */
  initialState: LineState;
  stateChanges: readonly StateChange[];
  alarms: readonly AlarmSpan[];
  /** Every inspection (first and re-inspections) in the window. */
  parts: readonly PartRecord[];
  idealCycleMs: number;
  targetPerHour: number;
}

export interface DowntimeByReason {
  /** An alarm code (F301) or, with no alarm to blame, `state:paused` / `state:stopped` / `state:fault`. */
  reason: string;
  durationMs: number;
  stops: number;
}

export interface LineKpis {
  plannedBusyMs: number;
  actualProductionMs: number;
  /** Time in each state within the planned busy time. */
  stateMs: Record<LineState, number>;
  produced: number;
  good: number;
  scrap: number;
  rework: number;
  pending: number;
  inspected: number;
  availability: number;
  /** Effectiveness capped at 1; `performanceRaw` is the uncapped ratio (above 1: ideal cycle too slow). */
  performance: number;
  performanceRaw: number;
  quality: number;
  oee: number;
  firstPassYield: number;
  finalYield: number;
  scrapRatio: number;
  reworkRatio: number;
  /** Parts with at least one defect / parts produced. */
  defectRate: number;
  throughputPerHour: number;
  targetPerHour: number;
  /** throughputPerHour / targetPerHour. */
  throughputVsTarget: number;
  cycleTime: SampleSummary | undefined;
  downtime: DowntimeByReason[];
}

interface StateInterval extends TimeInterval {
  state: LineState;
}

/** The line's states as intervals clipped to the planned busy time. */
export function plannedStateIntervals(
  facts: Pick<LineFacts, 'planned' | 'initialState' | 'stateChanges'>,
): StateInterval[] {
  const changes = [...facts.stateChanges].sort((a, b) => a.time - b.time);
  const out: StateInterval[] = [];
  for (const window of facts.planned) {
    let state = facts.initialState;
    for (const c of changes) if (c.time <= window.start) state = c.state;
    let cursor = window.start;
    for (const c of changes) {
      if (c.time <= window.start) continue;
      if (c.time >= window.end) break;
      if (c.state === state) continue;
      out.push({ start: cursor, end: c.time, state });
      cursor = c.time;
      state = c.state;
    }
    out.push({ start: cursor, end: window.end, state });
  }
  return out.filter((i) => i.end > i.start);
}

/**
 * Blames a stop on the alarm active when it began, else the first raised during it; with no
 * alarm the state itself is the reason.
 */
function reasonFor(stop: StateInterval, alarms: readonly AlarmSpan[]): string {
  const active = alarms
    .filter((a) => a.raisedAt <= stop.start && (a.clearedAt === null || a.clearedAt > stop.start))
    .sort((a, b) => b.raisedAt - a.raisedAt)[0];
  if (active) return active.code;
  const during = alarms
    .filter((a) => a.raisedAt > stop.start && a.raisedAt < stop.end)
    .sort((a, b) => a.raisedAt - b.raisedAt)[0];
  return during ? during.code : `state:${stop.state}`;
}

/** Merges intervals that continue one another (a stop split by a break's planned-time gap is not). */
function downtimeByReason(
  intervals: readonly StateInterval[],
  alarms: readonly AlarmSpan[],
): DowntimeByReason[] {
  const totals = new Map<string, DowntimeByReason>();
  let previous: StateInterval | undefined;
  for (const i of intervals) {
    if (i.state === 'running') {
      previous = i;
      continue;
    }
    const reason = reasonFor(i, alarms);
    const entry = totals.get(reason) ?? { reason, durationMs: 0, stops: 0 };
    entry.durationMs += i.end - i.start;
    const continues = previous && previous.state !== 'running' && previous.end === i.start;
    if (!continues) entry.stops += 1;
    totals.set(reason, entry);
    previous = i;
  }
  return [...totals.values()].sort((a, b) => b.durationMs - a.durationMs || a.reason.localeCompare(b.reason));
}

const ratio = (numerator: number, denominator: number, whenEmpty: number) =>
  denominator > 0 ? numerator / denominator : whenEmpty;

export function computeLineKpis(
  facts: LineFacts,
  defects: readonly Pick<DefectRecord, 'inspectionId'>[] = [],
): LineKpis {
  const intervals = plannedStateIntervals(facts);
  const stateMs: Record<LineState, number> = { stopped: 0, running: 0, paused: 0, fault: 0 };
  for (const i of intervals) stateMs[i.state] += i.end - i.start;
  const plannedBusyMs = facts.planned.reduce((sum, w) => sum + (w.end - w.start), 0);
  const actualProductionMs = stateMs.running;

  const first = facts.parts.filter((p) => p.attempt === 1);
  const produced = first.length;
  const good = first.filter((p) => p.result === 'pass').length;
  const pending = first.filter((p) => p.result === 'pending').length;
  const inspected = produced - pending;
  // The latest inspection of each part decides its final state.
  const latest = new Map<string, PartRecord>();
  const everReworked = new Set<string>();
  for (const p of [...facts.parts].sort((a, b) => a.time - b.time || a.attempt - b.attempt)) {
    latest.set(p.partId, p);
    if (p.result === 'rework') everReworked.add(p.partId);
  }
  const finals = [...latest.values()];
  const finalGood = finals.filter((p) => p.result === 'pass').length;
  const scrap = finals.filter((p) => p.result === 'fail').length;
  const rework = everReworked.size;
  const withDefects = new Set(defects.map((d) => d.inspectionId));
  const defective = first.filter((p) => withDefects.has(p.id)).length;

  const availability = ratio(actualProductionMs, plannedBusyMs, 1);
  const performanceRaw = ratio(facts.idealCycleMs * produced, actualProductionMs, 0);
  const performance = Math.min(1, performanceRaw);
  const quality = ratio(good, produced, 1);
  const throughputPerHour = ratio(produced, plannedBusyMs / 3_600_000, 0);
  const cycles = first.map((p) => p.cycleTimeMs).filter((c): c is number => typeof c === 'number');
  return {
    plannedBusyMs,
    actualProductionMs,
    stateMs,
    produced,
    good,
    scrap,
    rework,
    pending,
    inspected,
    availability,
    performance,
    performanceRaw,
    quality,
    oee: availability * performance * quality,
    firstPassYield: ratio(good, inspected, 1),
    finalYield: ratio(finalGood, latest.size, 1),
    scrapRatio: ratio(scrap, produced, 0),
    reworkRatio: ratio(rework, produced, 0),
    defectRate: ratio(defective, produced, 0),
    throughputPerHour,
    targetPerHour: facts.targetPerHour,
    throughputVsTarget: ratio(throughputPerHour, facts.targetPerHour, 0),
    cycleTime: summarize(cycles),
    downtime: downtimeByReason(intervals, facts.alarms),
  };
}
