import { randomUUID } from 'node:crypto';
import { redactConfig } from '../config/redact.ts';
import type { BenchtopConfig } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError, toBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import { versions } from '../core/version.ts';
import { RESERVED_START_KEYS } from './compose.ts';
import { DeviceCatalog } from './device-catalog.ts';
import { type FrameSource, frameSourceOf } from './frame-source.ts';
import type { PlanGenerator } from './messages.ts';
import { PlanRegistry } from './plan-registry.ts';
import { RunControl } from './run-control.ts';
import type { RunInfo, RunProgress, RunState, RunWarning } from './run-events.ts';

export type { RunInfo } from './run-events.ts';

import { RunExecution } from './run-execution.ts';
import type { RunRecorder, WriterFactory } from './run-storage.ts';
import { type SuspenderSpec, watchSuspender } from './suspenders.ts';

export interface RunEngineDeps {
  instruments: InstrumentDirectory;
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  writerFactory: WriterFactory;
  /** The run catalog; without it runs are only in their files and on the bus. */
  recorder?: RunRecorder;
  /** Recorded (secrets redacted) in every start document. */
  config?: BenchtopConfig;
  plans?: PlanRegistry;
  /** How to get frames from an instrument; default: the driver's `frameSource`. */
  frameSource?: (instrument: Instrument) => FrameSource | undefined;
  /** An instrument lost mid-run fails the run (default), or suspends it until the instrument is ready again. */
  onInstrumentUnavailable?: 'fail' | 'suspend';
  /** A run suspended for an unavailable instrument fails after this long. Default 120. */
  suspendTimeoutS?: number;
  /** Finished runs remembered for `get` (the catalog keeps them all). Default 200. */
  historyLimit?: number;
  newUid?: () => string;
}

interface Entry {
  info: RunInfo;
  start: () => RunExecution;
  control: RunControl;
  finished: Promise<RunInfo>;
  resolveFinished: (info: RunInfo) => void;
  /** This run's suspensions for unavailable instruments, by instrument id. */
  holds: Map<string, InstrumentHold>;
  /** The instruments the plan's arguments name: losing one suspends the run at once. */
  instrumentIds: Set<string>;
  /** The plan ends as a failure when one of its instruments is lost (never suspends). */
  failOnUnavailable: boolean;
  /** Where a stop that does not say ends this run. */
  stopAt: 'now' | 'boundary';
}

/** Actor states in which an instrument cannot serve a run (starting is on its way back). */
const LOST_STATES = new Set(['failed', 'restarting', 'faulted', 'stopping', 'stopped']);

interface InstrumentHold {
  reason: string;
  /** When the run fails unless the instrument is back, seconds since the epoch. */
  failsAt: number;
  release(): void;
}

const MAX_WARNINGS_KEPT = 50;

/**
 * Runs plans one at a time; further submissions queue. `submit` validates the arguments
 * against the live instruments and returns the run's uid at once. Run control (pause, resume,
 * abort, stop) applies to the running run; suspensions (`suspend`, `suspendWhen`) belong to
 * the engine and hold any run, the current one and those that start while they are active.
 */
export class RunEngine {
  private readonly deps: RunEngineDeps;
  readonly plans: PlanRegistry;
  private readonly entries = new Map<string, Entry>();
  private readonly queued: Entry[] = [];
  private active: Entry | null = null;
  private readonly suspensions = new Set<string>();
  private readonly disposers = new Set<() => void>();
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(deps: RunEngineDeps) {
    this.deps = deps;
    this.plans = deps.plans ?? new PlanRegistry();
  }

  /** The instruments as plans see them now (for validation and the API's argument forms). */
  devices(): DeviceCatalog {
    const frameSource = this.deps.frameSource ?? frameSourceOf;
    const instruments = this.deps.instruments.list();
    return new DeviceCatalog(
      instruments.map((i) => i.describe()),
      instruments.filter((i) => frameSource(i) !== undefined).map((i) => i.id),
    );
  }

  /** The plan's argument schema with live device names, limits and units. */
  planSchema(name: string): Record<string, unknown> {
    return this.plans.liveSchema(name, this.devices());
  }

  /**
   * Validates and queues a run; returns its uid at once. Throws PLAN_NOT_FOUND or
   * VALIDATION_FAILED (with every problem) before anything is queued.
   */
  submit(plan: string, args: unknown, metadata: Record<string, unknown> = {}): { uid: string } {
    if (this.shuttingDown) {
      throw new BenchtopError('RUN_STATE_CONFLICT', 'the run engine is shutting down; no new runs', { plan });
    }
    const validated = this.plans.validate(plan, args, this.devices());
    checkMetadata(metadata);
    const uid = (this.deps.newUid ?? randomUUID)();
    const control = new RunControl(() => [...this.suspensions]);
    let resolveFinished!: (info: RunInfo) => void;
    const finished = new Promise<RunInfo>((resolve) => {
      resolveFinished = resolve;
    });
    const info: RunInfo = {
      uid,
      plan,
      args: validated.args,
      metadata: structuredClone(metadata),
      state: 'queued',
      submitted_at: this.now(),
      started_at: null,
      ended_at: null,
      exit_status: null,
      reason: null,
      error: null,
      progress: { done: 0, total: null, eta_s: null },
      num_events: {},
      files: [],
      suspended_by: [],
      suspended_at: null,
      fails_at: null,
      warnings: [],
    };
    const entry: Entry = {
      info,
      control,
      finished,
      resolveFinished,
      holds: new Map(),
      instrumentIds: new Set([
        ...validated.devices.map((d) => d.split('.')[0]!),
        ...(validated.plan.instruments?.(validated.args as never) ?? []),
      ]),
      failOnUnavailable: validated.plan.onInstrumentUnavailable === 'fail',
      stopAt: validated.plan.stopAt ?? 'now',
      start: () => this.execution(entry, validated.plan.plan(validated.args as never)),
    };
    this.entries.set(uid, entry);
    this.queued.push(entry);
    this.deps.bus.emit('run.state', { uid, state: 'queued', previous: null });
    this.pump();
    return { uid };
  }

  get(uid: string): RunInfo | undefined {
    const info = this.entries.get(uid)?.info;
    return info ? snapshot(info) : undefined;
  }

  /** The running run, if any. */
  current(): RunInfo | null {
    return this.active ? snapshot(this.active.info) : null;
  }

  /** Runs waiting to start, in order. */
  queue(): RunInfo[] {
    return this.queued.map((e) => snapshot(e.info));
  }

  /** Every run this engine knows: queued, running and recently finished, newest first. */
  list(): RunInfo[] {
    return [...this.entries.values()].map((e) => snapshot(e.info)).reverse();
  }

  /** Resolves when the run has finished (or was cancelled). */
  whenFinished(uid: string): Promise<RunInfo> {
    const entry = this.entries.get(uid);
    if (!entry) return Promise.reject(new BenchtopError('RUN_NOT_FOUND', `no run ${uid}`, { uid }));
    return entry.finished.then(snapshot);
  }

  /** Resolves when no run is running or queued. */
  idle(): Promise<void> {
    if (!this.active && this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Removes a queued run before it starts. A running run is aborted or stopped instead. */
  cancel(uid: string, reason = 'cancelled before it started'): RunInfo {
    const entry = this.mustGet(uid);
    const index = this.queued.indexOf(entry);
    if (index < 0) {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `run ${uid} is ${entry.info.state}; only a queued run can be cancelled (abort or stop a running one)`,
        { uid, state: entry.info.state },
      );
    }
    this.queued.splice(index, 1);
    entry.info.reason = reason;
    entry.info.ended_at = this.now();
    this.setState(entry, 'cancelled');
    entry.resolveFinished(entry.info);
    this.notifyIdle();
    return snapshot(entry.info);
  }

  /** The running run pauses at its next checkpoint (nothing is moving there). */
  pause(): RunInfo {
    const entry = this.mustBeActive('pause');
    entry.control.pauseRequested = true;
    return snapshot(entry.info);
  }

  resume(): RunInfo {
    const entry = this.mustBeActive('resume');
    if (!entry.control.pauseRequested) {
      throw new BenchtopError('RUN_STATE_CONFLICT', `run ${entry.info.uid} is not paused`, {
        uid: entry.info.uid,
        state: entry.info.state,
      });
    }
    entry.control.pauseRequested = false;
    entry.control.changed();
    return snapshot(entry.info);
  }

  /** Ends the running run now with exit_status abort; what was saved is kept and closed properly. */
  abort(reason = 'aborted by user'): RunInfo {
    const entry = this.mustBeActive('abort');
    entry.control.requestEnd({ exitStatus: 'abort', reason });
    return snapshot(entry.info);
  }

  /**
   * Ends the running run as a success (stopped early): now, or with `at: 'boundary'` at the
   * plan's next boundary (a recipe's end of cycle; a plan without boundaries runs to its end).
   * Without `at`, where the plan says (a recipe: the boundary; others: now).
   */
  stop(reason = 'stopped early by user', at?: 'now' | 'boundary'): RunInfo {
    const entry = this.mustBeActive('stop');
    if ((at ?? entry.stopAt) === 'boundary')
      entry.control.endAtBoundary ??= { exitStatus: 'success', reason };
    else entry.control.requestEnd({ exitStatus: 'success', reason });
    return snapshot(entry.info);
  }

  /**
   * Holds runs while `reason` stands (alarms, suspenders): the running step is interrupted and
   * re-done once every suspension has cleared. Suspending twice with one reason is one suspension.
   */
  suspend(reason: string): void {
    if (this.suspensions.has(reason)) return;
    this.suspensions.add(reason);
    if (this.active?.info.state === 'suspended') this.active.info.suspended_by = [...this.suspensions];
    this.active?.control.interrupt();
  }

  clearSuspension(reason: string): void {
    if (!this.suspensions.delete(reason)) return;
    if (this.active?.info.state === 'suspended') this.active.info.suspended_by = [...this.suspensions];
    this.active?.control.changed();
  }

  activeSuspensions(): string[] {
    return [...this.suspensions];
  }

  /**
   * Suspends while a signal's readings meet a condition, e.g. laser emission lost:
   * `suspendWhen({ signal: 'laser.emission', predicate: (on) => on === false })`.
   * Returns a function that removes the suspender (and its suspension).
   */
  suspendWhen(spec: SuspenderSpec): () => void {
    const dispose = watchSuspender(spec, {
      bus: this.deps.bus,
      instruments: this.deps.instruments,
      suspend: (reason) => this.suspend(reason),
      clear: (reason) => this.clearSuspension(reason),
    });
    this.disposers.add(dispose);
    return () => {
      this.disposers.delete(dispose);
      dispose();
    };
  }

  /** Shutdown: no new runs, queued ones cancelled, the running one aborted and its files closed. */
  async shutdown(reason = 'shutdown'): Promise<void> {
    this.shuttingDown = true;
    for (const entry of [...this.queued]) this.cancel(entry.info.uid, reason);
    if (this.active) {
      this.active.control.requestEnd({ exitStatus: 'abort', reason });
      await this.active.finished;
    }
    for (const dispose of [...this.disposers]) dispose();
    this.disposers.clear();
  }

  private pump(): void {
    if (this.active || this.queued.length === 0) return;
    const entry = this.queued.shift()!;
    this.active = entry;
    entry.info.started_at = this.now();
    void this.runEntry(entry);
  }

  private async runEntry(entry: Entry): Promise<void> {
    const { info } = entry;
    const offLost = this.watchInstruments(entry);
    try {
      const outcome = await entry.start().run();
      info.exit_status = outcome.exitStatus;
      info.reason = outcome.reason;
      info.num_events = outcome.numEvents;
      info.files = outcome.files;
      info.error = outcome.error;
    } catch (error) {
      // RunExecution.run reports plan and instrument failures itself; this is a bug or a storage
      // failure while closing, and the run still must end.
      const failure = toBenchtopError(error);
      info.exit_status = 'fail';
      info.reason = failure.message;
      info.error = { code: failure.code, message: failure.message };
    }
    offLost();
    // An instrument still away holds no later run that may not even use it.
    for (const hold of [...entry.holds.values()]) {
      hold.release();
      this.clearSuspension(hold.reason);
    }
    info.ended_at = this.now();
    info.suspended_by = [];
    info.suspended_at = null;
    info.fails_at = null;
    this.setState(entry, 'finished');
    this.active = null;
    this.forgetOldRuns();
    entry.resolveFinished(info);
    this.pump();
    this.notifyIdle();
  }

  private execution(entry: Entry, generator: PlanGenerator): RunExecution {
    const { info } = entry;
    const { bus, clock } = this.deps;
    return new RunExecution({
      uid: info.uid,
      planName: info.plan,
      args: info.args,
      metadata: info.metadata,
      generator,
      instruments: this.deps.instruments,
      frameSource: this.deps.frameSource ?? frameSourceOf,
      clock,
      bus,
      writerFactory: this.deps.writerFactory,
      recorder: this.deps.recorder,
      snapshot: () => this.snapshot(),
      control: entry.control,
      onState: (state, reason) => {
        const suspended = state === 'suspended';
        info.suspended_by = suspended ? [...this.suspensions] : [];
        info.suspended_at = suspended ? (info.suspended_at ?? this.now()) : null;
        const deadlines = [...entry.holds.values()].map((h) => h.failsAt);
        info.fails_at = suspended && deadlines.length > 0 ? Math.min(...deadlines) : null;
        this.setState(entry, state, reason);
      },
      onProgress: (progress) => {
        info.progress = progress;
        const event: RunProgress = { uid: info.uid, ...progress, state: info.state };
        bus.emit('run.progress', event);
      },
      warn: (kind, message, details) => {
        const warning: RunWarning = { uid: info.uid, kind, message, details };
        info.warnings.push(warning);
        if (info.warnings.length > MAX_WARNINGS_KEPT) info.warnings.shift();
        bus.emit('run.warning', warning);
      },
      unavailable: (error) => this.suspendUntilReady(entry, error),
    });
  }

  /**
   * Suspends the run as soon as one of its instruments drops out, not only when the next
   * command to it fails: a run sleeping between points shows `suspended` at once.
   */
  private watchInstruments(entry: Entry): () => void {
    if (entry.failOnUnavailable) {
      return this.deps.bus.on('actor.state', (change) => {
        if (!entry.instrumentIds.has(change.id) || !LOST_STATES.has(change.state)) return;
        const cause = change.error ? `: ${change.error.message}` : '';
        const message = `${change.id} is ${change.state}${cause}`;
        entry.control.requestEnd({
          exitStatus: 'fail',
          reason: message,
          error: { code: 'INSTRUMENT_UNAVAILABLE', message },
        });
      });
    }
    if (this.deps.onInstrumentUnavailable !== 'suspend') return () => {};
    return this.deps.bus.on('actor.state', (change) => {
      if (!entry.instrumentIds.has(change.id) || !LOST_STATES.has(change.state)) return;
      const cause = change.error ? `: ${change.error.message}` : '';
      this.suspendUntilReady(
        entry,
        new BenchtopError('INSTRUMENT_UNAVAILABLE', `${change.id} is ${change.state}${cause}`, {
          instrument: change.id,
        }),
      );
    });
  }

  /**
   * With `onInstrumentUnavailable: 'suspend'`, the run waits until the instrument is ready
   * again (Bluesky's suspenders), and fails once it has waited `suspendTimeoutS`.
   */
  private suspendUntilReady(entry: Entry, error: BenchtopError): boolean {
    if (this.deps.onInstrumentUnavailable !== 'suspend' || entry.failOnUnavailable) return false;
    const id = String(error.details.instrument ?? '');
    if (!id) return false;
    // Back already (a quick reconnect): the step is simply re-done.
    if (this.deps.instruments.get(id).state === 'ready') return true;
    if (entry.holds.has(id)) return true;
    const timeoutS = this.deps.suspendTimeoutS ?? 120;
    const reason = `${id} is unavailable: ${error.message}`;
    const off = this.deps.bus.on('actor.state', (change) => {
      if (change.id !== id || change.state !== 'ready') return;
      release();
      this.clearSuspension(reason);
    });
    const timer = this.deps.clock.setTimeout(() => {
      release();
      const message = `${id} was unavailable for ${timeoutS} s ([engine] suspend_timeout_s): ${error.message}`;
      entry.control.requestEnd({
        exitStatus: 'fail',
        reason: message,
        error: { code: 'INSTRUMENT_UNAVAILABLE', message },
      });
      this.clearSuspension(reason);
    }, timeoutS * 1000);
    const release = () => {
      off();
      timer.cancel();
      entry.holds.delete(id);
      this.disposers.delete(release);
    };
    entry.holds.set(id, { reason, failsAt: this.now() + timeoutS, release });
    this.disposers.add(release);
    this.suspend(reason);
    return true;
  }

  private snapshot(): {
    config: Record<string, unknown>;
    instruments: Record<string, unknown>;
    versions: Record<string, string>;
  } {
    const config = this.deps.config ? redactConfig(this.deps.config) : undefined;
    const entries = new Map((config?.instruments ?? []).map((e) => [e.id, e]));
    const instruments: Record<string, unknown> = {};
    for (const instrument of this.deps.instruments.list()) {
      const values: Record<string, unknown> = {};
      for (const desc of instrument.describe().signals) {
        const reading = instrument.lastReading(desc.name);
        if (reading) values[desc.name] = reading.value;
      }
      instruments[instrument.id] = {
        type: instrument.type,
        state: instrument.state,
        identity: instrument.identity,
        configuration: entries.get(instrument.id)?.config ?? {},
        values,
      };
    }
    return {
      config: (config ?? {}) as unknown as Record<string, unknown>,
      instruments,
      versions: versions(),
    };
  }

  private setState(entry: Entry, state: RunState, reason?: string): void {
    const previous = entry.info.state;
    entry.info.state = state;
    this.deps.bus.emit('run.state', {
      uid: entry.info.uid,
      state,
      previous,
      ...(reason !== undefined
        ? { reason }
        : state === 'finished' || state === 'cancelled'
          ? { reason: entry.info.reason ?? '' }
          : {}),
      ...(state === 'finished' && entry.info.exit_status ? { exit_status: entry.info.exit_status } : {}),
      ...(state === 'suspended' && entry.info.suspended_at !== null
        ? { suspended_at: entry.info.suspended_at }
        : {}),
      ...(state === 'suspended' && entry.info.fails_at !== null ? { fails_at: entry.info.fails_at } : {}),
    });
    if (state !== 'queued' && state !== 'cancelled') {
      this.deps.bus.emit('run.progress', { uid: entry.info.uid, ...entry.info.progress, state });
    }
  }

  private forgetOldRuns(): void {
    const limit = this.deps.historyLimit ?? 200;
    const finished = [...this.entries.values()].filter(
      (e) => e.info.state === 'finished' || e.info.state === 'cancelled',
    );
    for (const entry of finished.slice(0, Math.max(0, finished.length - limit)))
      this.entries.delete(entry.info.uid);
  }

  private notifyIdle(): void {
    if (this.active || this.queued.length > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private mustGet(uid: string): Entry {
    const entry = this.entries.get(uid);
    if (!entry) throw new BenchtopError('RUN_NOT_FOUND', `no run ${uid} in the engine`, { uid });
    return entry;
  }

  private mustBeActive(action: string): Entry {
    if (!this.active) {
      throw new BenchtopError('RUN_STATE_CONFLICT', `no run is running; nothing to ${action}`, { action });
    }
    return this.active;
  }

  private now(): number {
    return this.deps.clock.now() / 1000;
  }
}

function checkMetadata(metadata: unknown): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `metadata must be an object; got ${JSON.stringify(metadata)}`,
      {
        problems: [{ path: '/metadata', message: 'must be an object' }],
      },
    );
  }
  const reserved = Object.keys(metadata).filter((k) =>
    (RESERVED_START_KEYS as readonly string[]).includes(k),
  );
  if (reserved.length > 0) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `metadata may not set ${reserved.join(', ')}: the start document sets ${reserved.length > 1 ? 'them' : 'it'}`,
      { problems: reserved.map((k) => ({ path: `/metadata/${k}`, message: 'reserved start document key' })) },
    );
  }
}

function snapshot(info: RunInfo): RunInfo {
  return structuredClone(info);
}
