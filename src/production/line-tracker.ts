import { randomUUID } from 'node:crypto';
import type { LineConfig, StationConfig } from '../config/line-schema.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError, toBenchtopError } from '../core/errors.ts';
import { type FoundDefect, judgeInspection } from './inspection-judgement.ts';
import { LineAlarmCodes, plcAlarmCode } from './line-alarm-codes.ts';
import { type LineAlarmSink, type LinePlc, PlcResultCodes, type StationVision } from './line-interfaces.ts';
import {
  batchOf,
  type DefectRecord,
  type LineEvent,
  type LineState,
  lineStateOf,
  type PartRecord,
  type PartResult,
} from './line-records.ts';
import { PartCounterSteps } from './part-counter-steps.ts';
import type { LineStore } from './store/line-store.ts';
import type { LineWriteQueue } from './store/line-write-queue.ts';

export interface LineTrackerOptions {
  line: LineConfig;
  plc: LinePlc;
  /** The camera of each station, by station id. */
  vision: Readonly<Record<string, StationVision>>;
  /** Read for re-inspection counts; writes go through `queue`. */
  store: LineStore;
  queue: LineWriteQueue;
  clock: Clock;
  alarms?: LineAlarmSink;
  /** Vision timeouts in a row at one station that make it a communication fault (F205). */
  timeoutsForCommFault?: number;
  onTracked?: (tracked: TrackedPart) => void;
  onLineEvent?: (event: LineEvent) => void;
  onError?: (error: BenchtopError) => void;
  newId?: () => string;
}

/** One part as tracked: its record, its defects, and what was written back. */
export interface TrackedPart {
  part: PartRecord;
  defects: DefectRecord[];
  /** The value written to `result_tag`, or null if the write failed. */
  resultWritten: number | null;
  /** Monotonic ms from the part event to the result written back. */
  latencyMs: number;
}

/** What the metrics and the dashboard show live, as the tracking path sees the line. */
export interface LineHealth {
  lineId: string;
  /** Failed or reworked parts among the last `recentParts` (the guide's quality of the last 100). */
  defectRate: number;
  recentParts: number;
  /** Whether the last PLC read or write succeeded (null before the first). */
  plcConnected: boolean | null;
  /** Per station: whether its last inspection returned a result (null before the first). */
  visionConnected: Record<string, boolean | null>;
  lineState: LineState | null;
  parts: number;
  /** Records waiting for the store. */
  queuedRecords: number;
}

export interface LineTrackerStats {
  parts: number;
  pending: number;
  visionTimeouts: number;
  unreadParts: number;
  /**
   * Parts the PLC's counter says were made without an event seen (the link was down), or, with
   * the counter as the part event, whose fields could not be read: counted, never invented.
   */
  missedParts: number;
  /** Edges whose counter was the one already tracked (an edge seen again after a reconnect). */
  repeatedEvents: number;
  writeBackFailures: number;
  storeRejected: number;
}

type StationOutcome =
  | { station: StationConfig; ok: true; judgement: ReturnType<typeof judgeInspection> }
  | { station: StationConfig; ok: false; reason: string };

/** Pending parts are diverted: a part nobody judged must not be passed. */
const PENDING_WRITE_BACK = PlcResultCodes.fail;
const RECENT_PARTS = 10_000;
/** The defect rate is over this many latest parts. */
const DEFECT_WINDOW = 100;
/** Longest the tracking path waits for the store to say how often a part was inspected before. */
const STORE_LOOKUP_MS = 100;

/**
 * Runs one production line: on each rising edge of `part_event` (or each step of it, when it is
 * `counter_tag`: see PartCounterSteps) it reads the part fields,
 * has every station inspect the part (one inspection in flight per station, so results match
 * triggers first in first out), judges, queues the part and one defect per NG tool for the
 * store, and writes the result back (1 pass, 2 fail, 3 rework). A vision timeout leaves the part
 * `pending` with the reason and raises W204 (F205 after several in a row). State changes of
 * `state_tag` are recorded with the previous state's duration, so downtime has a reason.
 */
export class LineTracker {
  private readonly o: LineTrackerOptions;
  private readonly newId: () => string;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly stationChains = new Map<string, Promise<unknown>>();
  private readonly consecutiveTimeouts = new Map<string, number>();
  private readonly activeAlarms = new Set<string>();
  /** The code `alarm_tag` shows now (the PLC's one active alarm). */
  private plcAlarm: string | null = null;
  /** Inspections seen per part id (bounded), so re-inspections get their attempt number. */
  private readonly attempts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private state: LineState | null = null;
  private stateSince = 0;
  private lastPartTime: number | null = null;
  /** `counter_tag` at the last part tracked (or read at start), when parts come as edges. */
  private lastCounter: number | null = null;
  /** Set when `part_event` is `counter_tag` itself: its steps are the parts. */
  private readonly counterSteps: PartCounterSteps | null;
  private readonly recentDefective: boolean[] = [];
  private plcOk: boolean | null = null;
  private readonly visionOk = new Map<string, boolean>();
  private readonly counters: LineTrackerStats = {
    parts: 0,
    pending: 0,
    visionTimeouts: 0,
    unreadParts: 0,
    missedParts: 0,
    repeatedEvents: 0,
    writeBackFailures: 0,
    storeRejected: 0,
  };

  constructor(options: LineTrackerOptions) {
    this.o = options;
    this.newId = options.newId ?? randomUUID;
    const { counter_tag, part_event } = options.line;
    this.counterSteps = counter_tag === part_event ? new PartCounterSteps() : null;
    for (const station of options.line.stations) {
      if (!options.vision[station.id])
        throw new BenchtopError(
          'CONFIG_INVALID',
          `Line ${options.line.id}: no camera for station ${station.id}`,
          {
            line: options.line.id,
            station: station.id,
          },
        );
    }
  }

  get stats(): LineTrackerStats {
    return { ...this.counters };
  }

  get lineState(): LineState | null {
    return this.state;
  }

  health(): LineHealth {
    const defective = this.recentDefective.filter(Boolean).length;
    return {
      lineId: this.o.line.id,
      defectRate: this.recentDefective.length ? defective / this.recentDefective.length : 0,
      recentParts: this.recentDefective.length,
      plcConnected: this.plcOk,
      visionConnected: Object.fromEntries(
        this.o.line.stations.map((s) => [s.id, this.visionOk.get(s.id) ?? null]),
      ),
      lineState: this.state,
      parts: this.counters.parts,
      queuedRecords: this.o.queue.stats.queuedRecords,
    };
  }

  /** Reads the current state and subscribes to part events and state changes. */
  async start(): Promise<void> {
    const { line, plc } = this.o;
    this.unsubscribe.push(
      plc.onChange(line.state_tag, (value) => this.stateChanged(value)),
      this.counterSteps
        ? plc.onReading(line.part_event, (value) => this.counterRead(value))
        : plc.onRisingEdge(line.part_event, () => {
            this.track(this.handlePartEvent());
          }),
    );
    if (line.alarm_tag) this.unsubscribe.push(plc.onChange(line.alarm_tag, (v) => this.plcAlarmChanged(v)));
    const startTags = [line.state_tag, line.counter_tag, line.alarm_tag].filter((t) => t !== undefined);
    const now = await plc.read(startTags).catch(() => undefined);
    if (now && this.state === null) this.stateChanged(now[line.state_tag]);
    if (now && line.alarm_tag && this.plcAlarm === null) this.plcAlarmChanged(now[line.alarm_tag]);
    if (now && line.counter_tag) this.lastCounter = finiteOrNull(now[line.counter_tag]);
    if (now && line.counter_tag) this.counterSteps?.startFrom(now[line.counter_tag]);
  }

  /** A reading of `part_event` when it is the counter: decided here, in the order they came. */
  private counterRead(value: unknown): void {
    const step = this.counterSteps!.next(value);
    this.counters.missedParts += step.missed;
    if (step.part) this.track(this.handlePartEvent({ counted: true }));
  }

  /**
   * With `counter_tag`: false when the counter is the one already tracked (the same part's edge
   * seen again, as after a reconnect republishes the tags), so no part is invented; a jump of
   * more than one counts the parts made unseen (link down) as missed, so none goes unaccounted.
   */
  private reconcileCounter(values: Record<string, unknown>): boolean {
    const tag = this.o.line.counter_tag;
    if (!tag) return true;
    const counter = finiteOrNull(values[tag]);
    if (counter === null) return true;
    const previous = this.lastCounter;
    if (previous !== null && counter === previous) {
      this.counters.repeatedEvents += 1;
      return false;
    }
    // A counter that went back was reset at the PLC: start counting from it.
    if (previous !== null && counter > previous + 1) this.counters.missedParts += counter - previous - 1;
    this.lastCounter = counter;
    return true;
  }

  /** Unsubscribes and waits for the parts in progress. */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.allSettled([...this.inFlight]);
  }

  /** An alarm from the PLC's side (or the alarm service): recorded as a line event for downtime. */
  recordAlarm(code: string, active: boolean, message: string | null = null): void {
    if (active === this.activeAlarms.has(code)) return;
    if (active) this.activeAlarms.add(code);
    else this.activeAlarms.delete(code);
    this.event({
      kind: active ? 'alarm_raised' : 'alarm_cleared',
      code,
      message,
      state: null,
      previousDurationMs: null,
    });
  }

  /**
   * `alarm_tag` changed: the code it showed is cleared and the new one raised, as line events
   * (so a stop is blamed on it) and in the alarm service.
   */
  private plcAlarmChanged(value: unknown): void {
    const code = plcAlarmCode(value);
    if (code === this.plcAlarm) return;
    if (this.plcAlarm) this.clear(this.plcAlarm);
    this.plcAlarm = code;
    if (code)
      this.raise(code, `PLC alarm ${code} (${this.o.line.alarm_tag} = ${String(value)})`, {
        line: this.o.line.id,
      });
  }

  /**
   * The write queue's backlog (wire to LineWriteQueue's onBacklog): raises S101 while records
   * are held; once all are written clears it and S102 (the queue has room again).
   */
  storageBacklog(state: 'holding' | 'drained', queuedRecords: number): void {
    if (state === 'holding')
      this.raise(
        LineAlarmCodes.STORAGE_BACKLOG,
        `Line store slow or down: ${queuedRecords} records held in memory`,
        {
          line: this.o.line.id,
          queuedRecords,
        },
      );
    else {
      this.clear(LineAlarmCodes.STORAGE_BACKLOG);
      this.clear(LineAlarmCodes.STORAGE_OVERFLOW);
    }
  }

  /** A batch the full queue refused: counted, and S102 raised (parts are being lost). */
  private storeRefused(): void {
    this.counters.storeRejected += 1;
    this.raise(LineAlarmCodes.STORAGE_OVERFLOW, 'Line store queue full: parts are not being stored', {
      line: this.o.line.id,
      queuedRecords: this.o.queue.stats.queuedRecords,
    });
  }

  /**
   * One part: the whole tracking path. Public so the benchmark and tests can drive it directly.
   * `counted`: the counter's step already made it a part (no reconciling against it again).
   */
  async handlePartEvent({ counted = false } = {}): Promise<TrackedPart | undefined> {
    const { line, plc, clock } = this.o;
    const started = clock.monotonic();
    const time = clock.now();
    const fieldTags = Object.values(line.part_fields);
    const tags = [...fieldTags];
    if (line.cycle_time_tag) tags.push(line.cycle_time_tag);
    if (line.counter_tag) tags.push(line.counter_tag);
    let values: Record<string, unknown>;
    try {
      const scanned = plc.scanned && tags.length ? await plc.scanned(tags) : undefined;
      values = scanned ?? (tags.length ? await plc.read(tags) : {});
      this.plcOk = true;
    } catch (err) {
      this.plcOk = false;
      // Without its id the part cannot be recorded truthfully; the PLC's counter reconciles it.
      this.counters.unreadParts += 1;
      // A counter step is not seen again, so it is missed now, keeping tracked + missed = counter.
      if (counted) this.counters.missedParts += 1;
      this.o.onError?.(toBenchtopError(err, 'INSTRUMENT_UNAVAILABLE'));
      return undefined;
    }
    if (!counted && !this.reconcileCounter(values)) return undefined;
    const field = (name: string) => {
      const tag = line.part_fields[name];
      return tag === undefined ? undefined : values[tag];
    };
    const partId = String(field('id') ?? this.newId());
    const sku = String(field('sku') ?? '');
    const cycleTimeMs = this.cycleTime(time, line.cycle_time_tag ? values[line.cycle_time_tag] : undefined);
    // Triggered at once, in the order the edges came (the cameras match results to parts first
    // in first out), while the store says how often the part was inspected before: that look-up
    // must neither delay the trigger nor let a later part's trigger overtake this one's.
    const inspections = Promise.all(line.stations.map((s) => this.inspectAt(s)));
    const [attempt, outcomes] = await Promise.all([this.nextAttempt(partId), inspections]);
    const inspectionId = this.newId();
    let result: PartResult = 'pass';
    const reasons: string[] = [];
    const found: { station: string; defect: FoundDefect }[] = [];
    const measures: Record<string, number> = {};
    let qualityScore: number | null = null;
    let blamed: string | undefined;
    const rank: Record<PartResult, number> = { pass: 0, rework: 1, fail: 2, pending: 3 };
    for (const outcome of outcomes) {
      let stationResult: PartResult;
      if (!outcome.ok) {
        stationResult = 'pending';
        reasons.push(`${outcome.station.id}: ${outcome.reason}`);
      } else {
        const j = outcome.judgement;
        stationResult = j.result;
        for (const d of j.defects) found.push({ station: outcome.station.id, defect: d });
        Object.assign(measures, j.measures);
        if (j.qualityScore !== null) qualityScore = Math.min(qualityScore ?? 1, j.qualityScore);
      }
      if (rank[stationResult] > rank[result]) {
        result = stationResult;
        blamed = outcome.station.id;
      }
    }
    const part: PartRecord = {
      id: inspectionId,
      lineId: line.id,
      partId,
      sku,
      batch: batchOf(time, line.utc_offset_minutes),
      station: blamed ?? line.stations.at(-1)?.id ?? '',
      result,
      reason: reasons.length ? reasons.join('; ') : null,
      cycleTimeMs,
      qualityScore,
      attempt,
      measures,
      time,
    };
    const defects: DefectRecord[] = found.map(({ station, defect }) => ({
      id: this.newId(),
      inspectionId,
      partId,
      lineId: line.id,
      station,
      class: defect.class,
      confidence: defect.confidence,
      box: defect.box,
      disposition: 'pending',
      note: null,
      dispositionBy: null,
      dispositionAt: null,
      time,
    }));
    this.counters.parts += 1;
    if (result === 'pending') this.counters.pending += 1;
    if (result !== 'pending') {
      this.recentDefective.push(result !== 'pass');
      if (this.recentDefective.length > DEFECT_WINDOW) this.recentDefective.shift();
    }
    if (!this.o.queue.enqueue({ parts: [part], defects, events: [] })) this.storeRefused();
    const code = result === 'pending' ? PENDING_WRITE_BACK : PlcResultCodes[result];
    let resultWritten: number | null = code;
    try {
      await plc.write(line.result_tag, code);
      this.plcOk = true;
    } catch (err) {
      this.plcOk = false;
      resultWritten = null;
      this.counters.writeBackFailures += 1;
      this.o.onError?.(toBenchtopError(err, 'INSTRUMENT_UNAVAILABLE'));
    }
    const tracked = { part, defects, resultWritten, latencyMs: clock.monotonic() - started };
    this.o.onTracked?.(tracked);
    return tracked;
  }

  private track<T>(work: Promise<T>): void {
    const p = work.catch((err) => this.o.onError?.(toBenchtopError(err)));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** The PLC's cycle time tag if configured, else the time since the previous part while running. */
  private cycleTime(time: number, fromTag: unknown): number | null {
    const previous = this.lastPartTime;
    this.lastPartTime = time;
    if (typeof fromTag === 'number' && Number.isFinite(fromTag)) return fromTag;
    if (previous === null || this.state !== 'running' || this.stateSince > previous) return null;
    return time - previous;
  }

  private async nextAttempt(partId: string): Promise<number> {
    let seen = this.attempts.get(partId);
    if (seen === undefined) seen = await this.storedInspections(partId);
    this.attempts.delete(partId);
    this.attempts.set(partId, seen + 1);
    if (this.attempts.size > RECENT_PARTS) this.attempts.delete(this.attempts.keys().next().value!);
    return seen + 1;
  }

  /**
   * Inspections of a part this process has not seen, from the store, but never at the line's
   * expense: not while the store is failing, and not longer than STORE_LOOKUP_MS (a part
   * whose earlier inspections cannot be looked up in time counts as new).
   */
  private async storedInspections(partId: string): Promise<number> {
    if (this.o.queue.holding) return 0;
    let timer: TimerHandle | undefined;
    const deadline = new Promise<number>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve(0), STORE_LOOKUP_MS);
    });
    try {
      return await Promise.race([
        this.o.store.inspectionCount(this.o.line.id, partId).catch(() => 0),
        deadline,
      ]);
    } finally {
      timer?.cancel();
    }
  }

  /** Queues an inspection behind the station's previous one: one in flight, first in first out. */
  private inspectAt(station: StationConfig): Promise<StationOutcome> {
    const previous = this.stationChains.get(station.id) ?? Promise.resolve();
    const run = previous.then(() => this.inspectOnce(station));
    this.stationChains.set(
      station.id,
      run.catch(() => {}),
    );
    return run;
  }

  private async inspectOnce(station: StationConfig): Promise<StationOutcome> {
    const vision = this.o.vision[station.id]!;
    const controller = new AbortController();
    let timer: TimerHandle | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve('timeout'), station.timeout_ms);
    });
    try {
      const outcome = await Promise.race([vision.inspect(controller.signal), deadline]);
      if (outcome === 'timeout') {
        controller.abort(new BenchtopError('INSTRUMENT_TIMEOUT', 'vision result deadline passed'));
        return this.visionFailed(station, `vision timeout after ${station.timeout_ms} ms`);
      }
      this.visionOk.set(station.id, true);
      this.visionRecovered(station);
      return { station, ok: true, judgement: judgeInspection(station, outcome) };
    } catch (err) {
      return this.visionFailed(station, `vision error: ${toBenchtopError(err).message}`);
    } finally {
      timer?.cancel();
    }
  }

  private visionFailed(station: StationConfig, reason: string): StationOutcome {
    this.counters.visionTimeouts += 1;
    this.visionOk.set(station.id, false);
    const inARow = (this.consecutiveTimeouts.get(station.id) ?? 0) + 1;
    this.consecutiveTimeouts.set(station.id, inARow);
    const context = { line: this.o.line.id, station: station.id, reason, failures: inARow };
    this.raise(
      LineAlarmCodes.W204,
      `Quality gate failure at ${station.id}: part not judged (${reason})`,
      context,
    );
    if (inARow >= (this.o.timeoutsForCommFault ?? 3))
      this.raise(
        LineAlarmCodes.F205,
        `Vision communication error at ${station.id}: ${inARow} inspections failed`,
        context,
      );
    return { station, ok: false, reason };
  }

  private visionRecovered(station: StationConfig): void {
    this.consecutiveTimeouts.set(station.id, 0);
    const others = [...this.consecutiveTimeouts.values()].some((n) => n > 0);
    if (others) return;
    this.clear(LineAlarmCodes.W204);
    this.clear(LineAlarmCodes.F205);
  }

  private raise(code: string, message: string, context: Record<string, unknown>): void {
    if (this.activeAlarms.has(code)) return;
    this.o.alarms?.raise(code, message, context);
    this.recordAlarm(code, true, message);
  }

  private clear(code: string): void {
    if (!this.activeAlarms.has(code)) return;
    this.o.alarms?.clear(code);
    this.recordAlarm(code, false);
  }

  private stateChanged(value: unknown): void {
    const next = lineStateOf(Number(value));
    if (!next || next === this.state) return;
    const now = this.o.clock.now();
    const previousDurationMs = this.state === null ? null : now - this.stateSince;
    this.state = next;
    this.stateSince = now;
    this.event({ kind: 'state', state: next, previousDurationMs, code: null, message: null });
  }

  private event(e: Omit<LineEvent, 'id' | 'lineId' | 'time'>): void {
    const event: LineEvent = { id: this.newId(), lineId: this.o.line.id, time: this.o.clock.now(), ...e };
    if (!this.o.queue.enqueue({ parts: [], defects: [], events: [event] })) this.storeRefused();
    this.o.onLineEvent?.(event);
  }
}

function finiteOrNull(value: unknown): number | null {
  const n = typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(n) ? n : null;
}
