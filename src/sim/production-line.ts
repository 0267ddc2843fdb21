import type { Clock, TimerHandle } from '../core/clock.ts';
import { SeededRandom } from './random.ts';

/** Line.State values as the vision-line PLC program reports them. */
export const LineStates = { stopped: 0, running: 1, paused: 2, fault: 3 } as const;
export type LineState = (typeof LineStates)[keyof typeof LineStates];

/** Alarm codes from the vision-line guide: F… stop the line (fault), W… are warnings it runs through. */
export const LINE_ALARMS = {
  F103: 'part-present timeout',
  F205: 'vision comms error',
  F301: 'pneumatic pressure low',
  W102: 'cycle time exceeded',
  W204: 'quality gate failure',
} as const;
export type LineAlarmCode = keyof typeof LINE_ALARMS;

/** A finished part, as the station that made it knows it. */
export interface LinePart {
  /** Serial number, 1, 2, 3… */
  id: number;
  sku: string;
  /** Index of `sku` in the line's SKU list, plus 1 (what the PLC's DINT `Part.Sku` carries). */
  skuCode: number;
  /** Wall-clock ms when it left the producing station (Part.Completed rose). */
  completedAt: number;
  /** Its machining time, ms (what Station01.CycleTimeMs shows). */
  cycleTimeMs: number;
}

/**
 * What the inspection side needs of the line: the part now at station N and a call when a
 * new part leaves the producing station. Station 1 holds the part that completed last, station
 * 2 the one before it, and so on (the conveyor moves one place per part). The Keyence
 * simulator reads this; it never drives the line.
 */
export interface LineStations {
  partAt(station: number): LinePart | null;
  onPartCompleted(listener: (part: LinePart) => void): () => void;
}

export interface ProductionLineOptions {
  clock: Clock;
  seed?: number;
  /** Ideal (design) cycle time, ms: the planned runtime per unit. */
  idealCycleMs?: number;
  /** Relative spread of real cycles above the ideal: cycle = ideal × (1 + jitter × |N(0,1)|). */
  jitter?: number;
  skus?: readonly string[];
  /** How long Part.Completed stays true after each part, ms (capped at half the ideal cycle). */
  completedPulseMs?: number;
  /** Parts remembered on the conveyor for partAt. */
  stations?: number;
}

/** Known truths for KPI tests, in ms of monotonic time since the line was built. */
export interface LineTruth {
  /** Time with the run command on and no emergency stop: planned production time. */
  plannedMs: number;
  runningMs: number;
  pausedMs: number;
  faultMs: number;
  stoppedMs: number;
  parts: number;
  good: number;
  failed: number;
  idealCycleMs: number;
  /** runningMs / plannedMs (1 when nothing was planned). */
  availability: number;
  /** idealCycleMs × parts / runningMs (1 before anything ran). */
  performance: number;
  /** Downtime caused by each alarm code (faults) or micro-stop, ms. */
  downtimeByCause: Record<string, number>;
}

interface ActiveAlarm {
  code: LineAlarmCode;
  until: number;
  timer: TimerHandle;
}

/**
 * A one-station production line driven by the injected Clock: parts at the ideal cycle time
 * with jitter while it runs, injectable micro-stops (paused) and alarms (F… faults stop it for
 * their duration; W… warnings do not), the run/reset/emergency-stop commands the PLC program
 * takes, and the quality results Benchtop writes back. Every second of state is accounted for,
 * so availability and performance are known truths.
 */
export class ProductionLine implements LineStations {
  readonly idealCycleMs: number;
  readonly skus: readonly string[];
  private readonly clock: Clock;
  private readonly random: SeededRandom;
  private readonly jitter: number;
  private readonly pulseMs: number;
  private readonly stations: number;
  private readonly createdAt: number;

  private runCommand = false;
  private emergencyStopped = false;
  private pausedUntil = 0;
  private pauseTimer: TimerHandle | null = null;
  private pauseCause = 'micro-stop';
  private readonly alarms = new Map<LineAlarmCode, ActiveAlarm>();

  private current: LineState = LineStates.stopped;
  private stateSince: number;
  /** What the present pause or fault is booked to, fixed when it began. */
  private stateCause = '';
  private readonly timeIn = { running: 0, paused: 0, fault: 0, stopped: 0, planned: 0 };
  private readonly downtime: Record<string, number> = {};
  private plannedSince: number | null = null;

  /** Machining time left on the part in the station, and when the line last started running it. */
  private cycleLeftMs: number;
  private cycleTotalMs: number;
  private runningSince = 0;
  private cycleTimer: TimerHandle | null = null;
  private pulseTimer: TimerHandle | null = null;

  private partCount = 0;
  private goodCount = 0;
  private failCount = 0;
  private completedHigh = false;
  private readonly conveyor: LinePart[] = [];
  private readonly partListeners = new Set<(part: LinePart) => void>();
  private readonly changeListeners = new Set<() => void>();
  private lastCycleMs = 0;

  constructor(options: ProductionLineOptions) {
    this.clock = options.clock;
    this.random = new SeededRandom(options.seed ?? 14);
    this.idealCycleMs = options.idealCycleMs ?? 6000;
    this.jitter = options.jitter ?? 0.05;
    this.skus = options.skus ?? ['SKU-A100', 'SKU-B200', 'SKU-C300'];
    this.pulseMs = Math.min(options.completedPulseMs ?? 500, this.idealCycleMs / 2);
    this.stations = options.stations ?? 8;
    this.createdAt = this.clock.monotonic();
    this.stateSince = this.createdAt;
    this.cycleTotalMs = this.sampleCycle();
    this.cycleLeftMs = this.cycleTotalMs;
  }

  // --- Commands (what the PLC program's inputs do) ---

  /** Line.RunCmd: true runs the line (unless faulted or emergency-stopped), false stops it. */
  setRunCommand(on: boolean): void {
    if (on && this.emergencyStopped) return;
    this.runCommand = on;
    this.update();
  }

  /** Emergency.Stop: stops at once and drops the run command; it must be released and run again. */
  setEmergencyStop(on: boolean): void {
    this.emergencyStopped = on;
    if (on) this.runCommand = false;
    this.update();
  }

  /** Line.Reset (rising edge): clears active faults and warnings early. */
  reset(): void {
    for (const alarm of this.alarms.values()) alarm.timer.cancel();
    this.alarms.clear();
    this.update();
  }

  /** Quality.Result written back: 1 pass, 2 fail (anything else is ignored, e.g. 0 pending). */
  recordQuality(result: number): void {
    if (result === 1) this.goodCount++;
    else if (result === 2) this.failCount++;
    else return;
    this.notify();
  }

  /** A micro-stop: the line pauses (state 2) for `durationMs`, then carries on by itself. */
  injectMicroStop(durationMs: number, cause = 'micro-stop'): void {
    const now = this.clock.monotonic();
    this.pauseCause = cause;
    this.pausedUntil = Math.max(this.pausedUntil, now + durationMs);
    this.pauseTimer?.cancel();
    this.pauseTimer = this.clock.setTimeout(() => {
      this.pauseTimer = null;
      this.update();
    }, this.pausedUntil - now);
    this.update();
  }

  /** Raises an alarm for `durationMs`: an F… code faults the line (state 3) until it clears or Reset. */
  injectAlarm(code: LineAlarmCode, durationMs: number): void {
    const now = this.clock.monotonic();
    this.alarms.get(code)?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.alarms.delete(code);
      this.update();
    }, durationMs);
    this.alarms.set(code, { code, until: now + durationMs, timer });
    this.update();
  }

  // --- What the PLC's tags show ---

  get state(): LineState {
    return this.current;
  }

  get runCommanded(): boolean {
    return this.runCommand;
  }

  get emergencyStopActive(): boolean {
    return this.emergencyStopped;
  }

  get partCounter(): number {
    return this.partCount;
  }

  get partCompleted(): boolean {
    return this.completedHigh;
  }

  get lastPart(): LinePart | null {
    return this.conveyor[0] ?? null;
  }

  get passCount(): number {
    return this.goodCount;
  }

  get failCountTotal(): number {
    return this.failCount;
  }

  get lastCycleTimeMs(): number {
    return this.lastCycleMs;
  }

  /** The first active alarm: a fault before a warning, or null. */
  activeAlarm(): LineAlarmCode | null {
    const codes = [...this.alarms.keys()].sort((a, b) =>
      a[0] === b[0] ? a.localeCompare(b) : a[0] === 'F' ? -1 : 1,
    );
    return codes[0] ?? null;
  }

  activeAlarms(): LineAlarmCode[] {
    return [...this.alarms.keys()];
  }

  /** Process air pressure, bar: 6 nominal, low while F301 is active. */
  pressureBar(): number {
    const base = this.alarms.has('F301') ? 3.8 : 6.0;
    return base + 0.05 * this.random.gaussian();
  }

  /** Process (oven) temperature, °C: warmer while running. */
  temperatureC(zone = 0): number {
    const running = this.current === LineStates.running ? 4 : 0;
    return 180 + zone * 1.5 + running + 0.3 * this.random.gaussian();
  }

  // --- LineStations ---

  partAt(station: number): LinePart | null {
    return this.conveyor[station - 1] ?? null;
  }

  onPartCompleted(listener: (part: LinePart) => void): () => void {
    this.partListeners.add(listener);
    return () => this.partListeners.delete(listener);
  }

  /** Any tag-visible change (state, counters, the completed pulse). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  truth(): LineTruth {
    const now = this.clock.monotonic();
    const t = { ...this.timeIn };
    const open = now - this.stateSince;
    const key = stateKey(this.current);
    t[key] += open;
    if (this.plannedSince !== null) t.planned += now - this.plannedSince;
    const downtime = { ...this.downtime };
    if (this.current === LineStates.paused || this.current === LineStates.fault) {
      downtime[this.stateCause] = (downtime[this.stateCause] ?? 0) + open;
    }
    return {
      plannedMs: t.planned,
      runningMs: t.running,
      pausedMs: t.paused,
      faultMs: t.fault,
      stoppedMs: t.stopped,
      parts: this.partCount,
      good: this.goodCount,
      failed: this.failCount,
      idealCycleMs: this.idealCycleMs,
      availability: t.planned === 0 ? 1 : t.running / t.planned,
      performance: t.running === 0 ? 1 : (this.idealCycleMs * this.partCount) / t.running,
      downtimeByCause: downtime,
    };
  }

  /** Whether a timer of the line is armed (a part being made, a pulse or a pause running). */
  get ticking(): boolean {
    return this.cycleTimer !== null || this.pulseTimer !== null || this.pauseTimer !== null;
  }

  /** Stops every timer (the line is being thrown away). */
  dispose(): void {
    this.cycleTimer?.cancel();
    this.pulseTimer?.cancel();
    this.pauseTimer?.cancel();
    this.cycleTimer = this.pulseTimer = this.pauseTimer = null;
    for (const a of this.alarms.values()) a.timer.cancel();
    this.alarms.clear();
    this.partListeners.clear();
    this.changeListeners.clear();
  }

  // --- The state machine ---

  private wanted(now: number): LineState {
    if (this.emergencyStopped || !this.runCommand) return LineStates.stopped;
    if ([...this.alarms.keys()].some((c) => c.startsWith('F'))) return LineStates.fault;
    if (now < this.pausedUntil) return LineStates.paused;
    return LineStates.running;
  }

  private update(): void {
    const now = this.clock.monotonic();
    const planned = this.runCommand && !this.emergencyStopped;
    if (planned && this.plannedSince === null) this.plannedSince = now;
    if (!planned && this.plannedSince !== null) {
      this.timeIn.planned += now - this.plannedSince;
      this.plannedSince = null;
    }
    const next = this.wanted(now);
    if (next === this.current) {
      this.notify();
      return;
    }
    const spent = now - this.stateSince;
    this.timeIn[stateKey(this.current)] += spent;
    if (this.current === LineStates.paused || this.current === LineStates.fault) {
      this.downtime[this.stateCause] = (this.downtime[this.stateCause] ?? 0) + spent;
    }
    if (this.current === LineStates.running) this.leaveRunning(now);
    this.current = next;
    this.stateSince = now;
    this.stateCause = this.downtimeCause();
    if (next === LineStates.running) this.enterRunning(now);
    this.notify();
  }

  /** What a pause or fault beginning now is caused by. */
  private downtimeCause(): string {
    if (this.current === LineStates.fault) {
      return [...this.alarms.keys()].filter((c) => c.startsWith('F')).sort()[0] ?? 'fault';
    }
    return this.pauseCause;
  }

  private enterRunning(now: number): void {
    this.runningSince = now;
    this.cycleTimer = this.clock.setTimeout(() => this.completePart(), this.cycleLeftMs);
  }

  private leaveRunning(now: number): void {
    this.cycleTimer?.cancel();
    this.cycleTimer = null;
    this.cycleLeftMs = Math.max(0, this.cycleLeftMs - (now - this.runningSince));
  }

  private completePart(): void {
    const now = this.clock.monotonic();
    this.cycleTimer = null;
    this.partCount++;
    this.lastCycleMs = Math.round(this.cycleTotalMs);
    const skuIndex = (this.partCount - 1) % this.skus.length;
    const part: LinePart = {
      id: this.partCount,
      sku: this.skus[skuIndex]!,
      skuCode: skuIndex + 1,
      completedAt: this.clock.now(),
      cycleTimeMs: this.lastCycleMs,
    };
    this.conveyor.unshift(part);
    this.conveyor.length = Math.min(this.conveyor.length, this.stations);
    this.completedHigh = true;
    this.pulseTimer?.cancel();
    this.pulseTimer = this.clock.setTimeout(() => {
      this.pulseTimer = null;
      this.completedHigh = false;
      this.notify();
    }, this.pulseMs);
    this.cycleTotalMs = this.sampleCycle();
    this.cycleLeftMs = this.cycleTotalMs;
    this.runningSince = now;
    this.cycleTimer = this.clock.setTimeout(() => this.completePart(), this.cycleLeftMs);
    this.notify();
    for (const listener of this.partListeners) listener(part);
  }

  private sampleCycle(): number {
    return this.idealCycleMs * (1 + this.jitter * Math.abs(this.random.gaussian()));
  }

  private notify(): void {
    for (const listener of this.changeListeners) listener();
  }
}

function stateKey(state: LineState): 'running' | 'paused' | 'fault' | 'stopped' {
  return state === LineStates.running
    ? 'running'
    : state === LineStates.paused
      ? 'paused'
      : state === LineStates.fault
        ? 'fault'
        : 'stopped';
}
