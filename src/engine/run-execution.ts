import type { EventBus } from '../core/bus.ts';
import { type Clock, sleep } from '../core/clock.ts';
import type { SignalValue } from '../core/device.ts';
import type { ExitStatus } from '../core/documents.ts';
import { BenchtopError, isBenchtopError, toBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Frame } from '../core/frame.ts';
import { type Instrument, splitSignalPath } from '../core/instrument.ts';
import { isLinkFault } from '../core/instrument-behavior.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import { conditionHolds } from './conditions.ts';
import { frameDataKey, signalDataKey } from './data-keys.ts';
import type { FrameSource } from './frame-source.ts';
import type { Command, Msg, PlanGenerator, ReadResult, ReadUntilResult } from './messages.ts';
import { MotionGuard } from './motion-guard.ts';
import { ProgressTracker } from './progress.ts';
import { isInterrupt, type RunControl, RunEnding } from './run-control.ts';
import type { RunWarningKind } from './run-events.ts';
import { type DescriptorFields, type FieldValue, MISSING, RunOutput } from './run-output.ts';
import type { RunRecorder, WriterFactory } from './run-storage.ts';

export interface ExecutionDeps {
  uid: string;
  planName: string;
  args: Record<string, unknown>;
  metadata: Record<string, unknown>;
  generator: PlanGenerator;
  instruments: InstrumentDirectory;
  frameSource(instrument: Instrument): FrameSource | undefined;
  clock: Clock;
  bus: EventBus<BenchtopEvents>;
  writerFactory: WriterFactory;
  recorder: RunRecorder | undefined;
  /** Redacted configuration and instrument snapshot for the start document. */
  snapshot(): {
    config: Record<string, unknown>;
    instruments: Record<string, unknown>;
    versions: Record<string, string>;
  };
  control: RunControl;
  onState(state: 'running' | 'paused' | 'suspended', reason?: string): void;
  onProgress(progress: {
    done: number;
    total: number | null;
    eta_s: number | null;
    detail?: Record<string, unknown>;
  }): void;
  warn(kind: RunWarningKind, message: string, details: Record<string, unknown>): void;
  /** An instrument became unavailable mid-step: true when the engine suspended the run (the step is redone). */
  unavailable(error: BenchtopError): boolean;
}

export interface RunOutcome {
  exitStatus: ExitStatus;
  reason: string;
  numEvents: Record<string, number>;
  files: string[];
  /** False when the plan never opened its run (nothing was written). */
  opened: boolean;
  /** Why it failed, when it did: the error's code and message. */
  error: { code: string; message: string } | null;
}

type Handler = (msg: never) => Promise<unknown>;

/**
 * Runs one plan: pulls its messages, carries each out through the command table, and turns
 * requests from outside into behaviour. A pause waits at the next checkpoint. A suspension
 * interrupts the step at once (its event is not saved), waits until every suspension has
 * cleared, then re-does the step from its checkpoint. Abort and stop interrupt at once and
 * close the run with what was saved so far.
 */
export class RunExecution {
  private readonly deps: ExecutionDeps;
  private readonly control: RunControl;
  private readonly output: RunOutput;
  private readonly progress: ProgressTracker;
  private readonly moves = new MotionGuard();
  /** Messages since the last checkpoint or saved event: what a resumed run re-does. */
  private stepLog: Msg[] = [];
  private needsReplay = false;
  private openedAt = 0;
  /** When the run last came out of a suspension (monotonic ms; -Infinity: never). */
  private resumedAt = Number.NEGATIVE_INFINITY;
  private plannedEnd: { exitStatus: ExitStatus; reason: string } | null = null;
  /** Last value this run wrote to each target (an event records it for write-only signals). */
  private readonly setpoints = new Map<string, FieldValue>();
  /** Settings written by `configure`, shown in later descriptors' configuration. */
  private readonly configured = new Map<string, Map<string, FieldValue>>();
  private readonly staged = new Set<string>();
  /** Frames already saved by an interrupted `camera_frames`, so the re-done step only takes the rest. */
  private readonly framesTaken = new WeakMap<Msg, { frames: number; elapsedMs: number }>();
  private readonly commands: Record<Command, Handler>;
  /** The safe state (`finalize`): written when the run ends, by target. */
  private readonly finalWrites = new Map<string, SignalValue>();
  /** Background samplers (`monitor`), stopped before the run closes. */
  private readonly monitors: MonitorSampler[] = [];

  constructor(deps: ExecutionDeps) {
    this.deps = deps;
    this.control = deps.control;
    this.progress = new ProgressTracker(deps.clock);
    this.output = new RunOutput({
      uid: deps.uid,
      clock: deps.clock,
      bus: deps.bus,
      writerFactory: deps.writerFactory,
      recorder: deps.recorder,
      warn: deps.warn,
      writerFailed: (error) =>
        this.control.requestEnd({
          exitStatus: 'fail',
          reason: `storage failed: ${error.message}`,
          error: { code: error.code, message: error.message },
        }),
    });
    this.commands = {
      open_run: (m: Extract<Msg, { command: 'open_run' }>) => this.openRun(m),
      close_run: async (m: Extract<Msg, { command: 'close_run' }>) => {
        this.plannedEnd = { exitStatus: m.exit_status ?? 'success', reason: m.reason ?? '' };
      },
      set: (m: Extract<Msg, { command: 'set' }>) => this.set(m),
      wait: (m: Extract<Msg, { command: 'wait' }>) => this.control.interruptible(this.moves.settle(m.group)),
      read: (m: Extract<Msg, { command: 'read' }>) => this.read(m.targets),
      read_until: (m: Extract<Msg, { command: 'read_until' }>) => this.readUntil(m),
      trigger_and_read: (m: Extract<Msg, { command: 'trigger_and_read' }>) => this.triggerAndRead(m),
      camera_frames: (m: Extract<Msg, { command: 'camera_frames' }>) => this.cameraFrames(m),
      checkpoint: () => this.checkpoint(),
      sleep: (m: Extract<Msg, { command: 'sleep' }>) => this.wait(m.seconds * 1000),
      sleep_until: (m: Extract<Msg, { command: 'sleep_until' }>) =>
        this.wait(this.openedAt + m.seconds * 1000 - deps.clock.monotonic()),
      stage: (m: Extract<Msg, { command: 'stage' }>) => this.stage(m.target, 'stage'),
      unstage: (m: Extract<Msg, { command: 'unstage' }>) => this.stage(m.target, 'unstage'),
      configure: (m: Extract<Msg, { command: 'configure' }>) => this.configure(m),
      monitor: async (m: Extract<Msg, { command: 'monitor' }>) => this.monitor(m),
      finalize: async (m: Extract<Msg, { command: 'finalize' }>) => {
        for (const { target, value } of m.writes) this.finalWrites.set(target, value);
      },
      progress: async (m: Extract<Msg, { command: 'progress' }>) => {
        this.progress.detail = m.detail;
        this.report();
      },
      boundary: async () => {
        if (this.control.endAtBoundary) this.control.requestEnd(this.control.endAtBoundary);
      },
    };
  }

  async run(): Promise<RunOutcome> {
    const gen = this.deps.generator;
    let exitStatus: ExitStatus = 'success';
    let reason = '';
    let failure: { code: string; message: string } | null = null;
    this.progress.run();
    this.deps.onState('running');
    try {
      await this.drive(gen);
      if (this.plannedEnd) ({ exitStatus, reason } = this.plannedEnd);
      if (this.control.end) ({ exitStatus, reason } = this.control.end);
    } catch (error) {
      if (error instanceof RunEnding && this.control.end) {
        ({ exitStatus, reason } = this.control.end);
        failure = this.control.end.error ?? null;
      } else {
        const cause = toBenchtopError(error);
        exitStatus = 'fail';
        reason = cause.message;
        failure = { code: cause.code, message: cause.message };
      }
      try {
        gen.return();
      } catch {
        // The plan's own clean-up failed; the run is ending with the first reason anyway.
      }
    }
    await this.leaveSafe();
    if (!this.output.opened) {
      return { exitStatus, reason, numEvents: {}, files: [], opened: false, error: failure };
    }
    const { stop, files, storageError } = await this.output.close(exitStatus, reason);
    this.progress.hold();
    return {
      exitStatus: stop.exit_status,
      reason: stop.reason,
      numEvents: stop.num_events,
      files,
      opened: true,
      error: failure ?? (storageError ? { code: storageError.code, message: storageError.message } : null),
    };
  }

  private async drive(gen: PlanGenerator): Promise<void> {
    let step = gen.next();
    while (!step.done) {
      const msg = step.value;
      this.stepLog.push(msg);
      let reply: unknown;
      try {
        reply = await this.dispatch(msg);
      } catch (error) {
        if (!isInterrupt(error) && !this.suspendedFor(error)) {
          if (error instanceof RunEnding) throw error;
          this.throwIfEnding();
          // Into the plan, as Bluesky does: a plan may catch it; an uncaught one fails the run.
          step = gen.throw(error);
          continue;
        }
        this.needsReplay = true;
      }
      if (this.plannedEnd) return;
      const resumed = await this.honour();
      if (resumed.replayed) reply = resumed.reply;
      step = gen.next(reply);
    }
  }

  private dispatch(msg: Msg): Promise<unknown> {
    const handler = this.commands[msg.command] as ((m: Msg) => Promise<unknown>) | undefined;
    if (!handler) {
      return Promise.reject(
        new BenchtopError('VALIDATION_FAILED', `plan yielded an unknown message "${msg.command}"`, { msg }),
      );
    }
    return handler(msg);
  }

  /** An unavailable instrument suspends the run instead of failing it, when the engine is set up so. */
  private suspendedFor(error: unknown): boolean {
    const lost = isBenchtopError(error, 'INSTRUMENT_UNAVAILABLE') || isLinkFault(error);
    return lost && this.deps.unavailable(error as BenchtopError);
  }

  /**
   * Between messages: ends the run if asked, waits out suspensions, and re-does the step that
   * a suspension interrupted. Returns the re-done step's last reply for the plan.
   */
  private async honour(): Promise<{ replayed: boolean; reply?: unknown }> {
    let result: { replayed: boolean; reply?: unknown } = { replayed: false };
    for (;;) {
      this.throwIfEnding();
      const reasons = this.control.suspendedBy();
      if (reasons.length > 0) {
        await this.holdSuspended(reasons);
        continue;
      }
      if (!this.needsReplay) return result;
      this.needsReplay = false;
      if (this.stepLog.length === 0) return result;
      try {
        let reply: unknown;
        for (const msg of [...this.stepLog]) reply = await this.dispatch(msg);
        result = { replayed: true, reply };
      } catch (error) {
        if (!isInterrupt(error) && !this.suspendedFor(error)) throw error;
        this.needsReplay = true;
      }
    }
  }

  private async holdSuspended(reasons: string[]): Promise<void> {
    this.needsReplay = true;
    this.progress.hold();
    this.deps.onState('suspended', reasons.join('; '));
    await this.stopMoving();
    await this.holdInSafeState();
    this.report();
    while (this.control.suspendedBy().length > 0 && !this.control.end) await this.control.nextChange();
    this.throwIfEnding();
    this.resumedAt = this.deps.clock.monotonic();
    this.progress.run();
    this.deps.onState('running');
  }

  private async holdPaused(): Promise<void> {
    this.progress.hold();
    this.deps.onState('paused');
    this.report();
    while (this.control.pauseRequested && !this.control.end) await this.control.nextChange();
    this.throwIfEnding();
    this.progress.run();
    this.deps.onState('running');
  }

  private throwIfEnding(): void {
    if (this.control.end) throw new RunEnding();
  }

  // --- the command table ---

  private async openRun(msg: Extract<Msg, { command: 'open_run' }>): Promise<void> {
    const snapshot = this.deps.snapshot();
    this.output.open({
      plan_name: this.deps.planName,
      plan_args: this.deps.args,
      metadata: { ...msg.metadata, ...this.deps.metadata },
      ...snapshot,
      ...(msg.hints ? { hints: msg.hints } : {}),
      ...(msg.num_points !== undefined ? { num_points: msg.num_points } : {}),
    });
    this.openedAt = this.deps.clock.monotonic();
    // A run opens once: a suspension right after this re-does nothing before it.
    this.stepLog = [];
    this.progress.total = msg.num_points ?? null;
    this.report();
  }

  private async set(msg: Extract<Msg, { command: 'set' }>): Promise<void> {
    const { instrument, signal } = this.resolve(msg.target);
    const done = attributed(instrument.id, instrument.write(signal, msg.value, { wait: true }));
    this.moves.track(msg.target, instrument, signal, done, msg.group);
    this.setpoints.set(msg.target, { value: msg.value, timestamp: this.deps.clock.now() });
    if (msg.wait === false) return;
    await this.control.interruptible(done);
  }

  /** Checkpoint: nothing moving, everything referenced and flushed, then a requested pause. */
  private async checkpoint(): Promise<void> {
    await this.control.interruptible(this.moves.settle());
    this.stepLog = [];
    this.output.flushDatums();
    await this.output.checkpoint();
    this.throwIfEnding();
    if (this.control.pauseRequested) await this.holdPaused();
  }

  private async wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    await sleep(this.deps.clock, ms, this.control.stepSignal);
  }

  private read(targets: string[]): Promise<ReadResult> {
    return this.control.interruptible(this.readSignals(targets));
  }

  private async readUntil(msg: Extract<Msg, { command: 'read_until' }>): Promise<ReadUntilResult> {
    const started = this.deps.clock.monotonic();
    const timeoutMs = msg.timeout_s * 1000;
    let firstAt: number | undefined;
    for (;;) {
      const reading = (await this.read([msg.target]))[msg.target]!;
      firstAt ??= reading.timestamp;
      const held = conditionHolds(msg.until, reading.value);
      const waited = this.deps.clock.monotonic() - started;
      if (held || waited >= timeoutMs)
        return { held, value: reading.value, first_at: firstAt, at: reading.timestamp };
      await this.wait(Math.min(msg.poll_s * 1000, timeoutMs - waited));
    }
  }

  private async triggerAndRead(msg: Extract<Msg, { command: 'trigger_and_read' }>): Promise<ReadResult> {
    const stream = msg.stream ?? 'primary';
    const isCamera = (d: string) =>
      this.deps.instruments.list().some((i) => i.id === d && this.deps.frameSource(i) !== undefined);
    const cameras = msg.detectors.filter(isCamera);
    const signals = msg.detectors.filter((d) => !isCamera(d));
    const slotPassed = this.slotPassed(msg);
    if (slotPassed !== null && cameras.length === 0) {
      const values = Object.fromEntries(signals.map((s) => [s, MISSING]));
      this.save(stream, values, [], slotPassed);
      this.stepLog = [];
      return values;
    }
    const [values, frames] = await this.control.interruptible(
      Promise.all([
        this.readSignals(signals),
        Promise.all(
          cameras.map(async (camera): Promise<[string, Frame]> => [camera, await this.snap(camera)]),
        ),
      ]),
    );
    this.save(stream, values, frames);
    // Saved data is never re-done: a suspension from here on resumes after this event.
    this.stepLog = [];
    return values;
  }

  /**
   * For a scheduled point whose slot passed while the run was suspended: when it was due (epoch
   * ms); otherwise null. A point merely late (a slow read) is still read: only a suspension
   * makes a gap.
   */
  private slotPassed(msg: Extract<Msg, { command: 'trigger_and_read' }>): number | null {
    if (msg.due_s === undefined || msg.late_after_s === undefined) return null;
    const dueAt = this.openedAt + msg.due_s * 1000;
    const late = this.deps.clock.monotonic() - dueAt;
    if (late <= msg.late_after_s * 1000 || this.resumedAt < dueAt) return null;
    return this.deps.clock.now() - late;
  }

  private async cameraFrames(msg: Extract<Msg, { command: 'camera_frames' }>): Promise<void> {
    const stream = msg.stream ?? 'primary';
    const source = this.frameSourceFor(msg.camera);
    const taken = this.framesTaken.get(msg) ?? { frames: 0, elapsedMs: 0 };
    this.framesTaken.set(msg, taken);
    const count = msg.count === undefined ? undefined : msg.count - taken.frames;
    const durationMs = msg.duration_s === undefined ? undefined : msg.duration_s * 1000 - taken.elapsedMs;
    if ((count !== undefined && count <= 0) || (durationMs !== undefined && durationMs <= 0)) return;
    const signal = this.control.stepSignal;
    const startedAt = this.deps.clock.monotonic();
    try {
      const frames = source.acquire({
        ...(count !== undefined ? { count } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(msg.exposure_ms !== undefined ? { exposureMs: msg.exposure_ms } : {}),
        signal,
        run: this.deps.uid,
      });
      for await (const frame of frames) {
        if (signal.aborted) break;
        this.save(stream, {}, [[msg.camera, frame]]);
        taken.frames++;
        if (count !== undefined && taken.frames >= msg.count!) break;
      }
    } finally {
      taken.elapsedMs += this.deps.clock.monotonic() - startedAt;
      this.output.flushDatums();
    }
    if (signal.aborted) throw signal.reason;
  }

  private async stage(target: string, action: 'stage' | 'unstage'): Promise<void> {
    const instrument = this.deps.instruments.get(target.split('.')[0]!);
    if (instrument.describe().actions.some((a) => a.name === action)) {
      await this.control.interruptible(attributed(instrument.id, instrument.call(action, {})));
    }
    if (action === 'stage') this.staged.add(instrument.id);
    else this.staged.delete(instrument.id);
  }

  private async configure(msg: Extract<Msg, { command: 'configure' }>): Promise<void> {
    const instrument = this.deps.instruments.get(msg.instrument);
    const settings = this.configured.get(instrument.id) ?? new Map<string, FieldValue>();
    this.configured.set(instrument.id, settings);
    for (const [signal, value] of Object.entries(msg.settings)) {
      await this.control.interruptible(
        attributed(instrument.id, instrument.write(signal, value, { wait: true })),
      );
      settings.set(signal, { value, timestamp: this.deps.clock.now() });
    }
  }

  // --- helpers ---

  private resolve(path: string): { instrument: Instrument; signal: string } {
    const { instrument, signal } = splitSignalPath(path);
    return { instrument: this.deps.instruments.get(instrument), signal };
  }

  private frameSourceFor(camera: string): FrameSource {
    const source = this.deps.frameSource(this.deps.instruments.get(camera));
    if (!source) {
      throw new BenchtopError('VALIDATION_FAILED', `${camera} is not a camera (it offers no frames)`, {
        camera,
      });
    }
    return source;
  }

  private async snap(camera: string): Promise<Frame> {
    for await (const frame of this.frameSourceFor(camera).acquire({
      count: 1,
      signal: this.control.stepSignal,
      run: this.deps.uid,
    })) {
      return frame;
    }
    throw new BenchtopError('INSTRUMENT_ERROR', `${camera} delivered no frame`, { instrument: camera });
  }

  /** Reads signals (each instrument's actor serialises its own); a write-only signal gives its last setpoint. */
  private async readSignals(targets: string[]): Promise<Record<string, FieldValue>> {
    const entries = await Promise.all(
      targets.map(async (target): Promise<[string, FieldValue]> => {
        const { instrument, signal } = this.resolve(target);
        const desc = instrument.describe().signals.find((s) => s.name === signal);
        const setpoint = this.setpoints.get(target);
        if (desc && !desc.readable && setpoint) return [target, setpoint];
        const reading = await attributed(instrument.id, instrument.read(signal));
        return [target, { value: reading.value, timestamp: reading.timestamp }];
      }),
    );
    return Object.fromEntries(entries);
  }

  private save(
    stream: string,
    values: Record<string, FieldValue>,
    frames: [string, Frame][],
    at?: number,
  ): void {
    this.output.event(stream, values, frames, () => this.describeStream(Object.keys(values), frames), at);
    if (stream === 'primary') {
      this.progress.point();
      this.report();
    }
  }

  /** A stream's data keys from the live device descriptions, with each instrument's settings now. */
  private describeStream(keys: string[], frames: [string, Frame][]): DescriptorFields {
    const dataKeys: DescriptorFields['data_keys'] = {};
    const objectKeys: Record<string, string[]> = {};
    for (const key of keys) {
      const { instrument, signal } = this.resolve(key);
      const desc = instrument.describe().signals.find((s) => s.name === signal);
      if (!desc) {
        throw new BenchtopError('SIGNAL_NOT_FOUND', `${instrument.id} has no signal "${signal}"`, {
          instrument: instrument.id,
          signal,
        });
      }
      dataKeys[key] = signalDataKey(key, desc);
      objectKeys[instrument.id] = [...(objectKeys[instrument.id] ?? []), key];
    }
    for (const [camera, frame] of frames) {
      dataKeys[camera] = frameDataKey(camera, frame.height, frame.width, frame.channels ?? 1);
      objectKeys[camera] = [...(objectKeys[camera] ?? []), camera];
    }
    const configuration: DescriptorFields['configuration'] = {};
    for (const id of Object.keys(objectKeys)) configuration[id] = this.configurationOf(id);
    const hints = Object.fromEntries(Object.entries(objectKeys).map(([id, fields]) => [id, { fields }]));
    return { data_keys: dataKeys, configuration, object_keys: objectKeys, hints };
  }

  /** The instrument's last known values (no instrument traffic), overlaid with this run's settings. */
  private configurationOf(id: string): { data: Record<string, unknown>; timestamps: Record<string, number> } {
    const instrument = this.deps.instruments.get(id);
    const data: Record<string, unknown> = {};
    const timestamps: Record<string, number> = {};
    for (const desc of instrument.describe().signals) {
      const reading = instrument.lastReading(desc.name);
      if (reading) {
        data[desc.name] = reading.value;
        timestamps[desc.name] = reading.timestamp / 1000;
      }
    }
    for (const [signal, field] of this.configured.get(id) ?? []) {
      data[signal] = field.value;
      timestamps[signal] = field.timestamp / 1000;
    }
    return { data, timestamps };
  }

  private monitor(msg: Extract<Msg, { command: 'monitor' }>): void {
    const sampler = new MonitorSampler(this.deps.clock, msg.interval_s * 1000, async () => {
      const values: Record<string, FieldValue> = {};
      let any = false;
      await Promise.all(
        msg.targets.map(async (target) => {
          try {
            const { instrument, signal } = this.resolve(target);
            const reading = await instrument.read(signal);
            values[target] = { value: reading.value, timestamp: reading.timestamp };
            any = true;
          } catch {
            values[target] = MISSING;
          }
        }),
      );
      // A sample with nothing read (the link is down) says nothing; the run's end says why.
      if (any && !sampler.stopped) this.save(msg.stream, values, []);
    });
    this.monitors.push(sampler);
  }

  /** Stops whatever this run left moving, writes its safe state, and unstages what it staged. */
  private async leaveSafe(): Promise<void> {
    for (const sampler of this.monitors.splice(0)) await sampler.stop();
    await this.stopMoving();
    await this.writeSafeState();
    for (const id of [...this.staged]) {
      try {
        const instrument = this.deps.instruments.get(id);
        if (instrument.describe().actions.some((a) => a.name === 'unstage'))
          await instrument.call('unstage', {});
      } catch (error) {
        const failure = toBenchtopError(error);
        this.deps.warn('stop_failed', `could not unstage ${id}: ${failure.message}`, { instrument: id });
      }
    }
    this.staged.clear();
  }

  /**
   * A suspended run waits in its safe state (a recipe's valves closed, not held open for as long
   * as the alarm lasts); the step it was in is re-done from its checkpoint when it resumes. The
   * writes stay registered for the run's end; one that fails now is only warned about.
   */
  private async holdInSafeState(): Promise<void> {
    for (const [target, value] of this.finalWrites) {
      try {
        const { instrument, signal } = this.resolve(target);
        await instrument.write(signal, value, { wait: true });
      } catch (error) {
        const failure = toBenchtopError(error);
        this.deps.warn(
          'safe_state',
          `could not write ${target} = ${String(value)} for the safe state while suspended (${failure.message})`,
          { target, value },
        );
      }
    }
  }

  /**
   * The `finalize` writes, each tried once now; one whose instrument is away (link lost) is
   * made as soon as that instrument is ready again, and said so in a warning both times.
   */
  private async writeSafeState(): Promise<void> {
    const writes = [...this.finalWrites];
    this.finalWrites.clear();
    const deferred = new Map<string, [string, SignalValue][]>();
    for (const [target, value] of writes) {
      const { instrument, signal } = this.resolve(target);
      try {
        await instrument.write(signal, value, { wait: true });
      } catch (error) {
        const failure = toBenchtopError(error);
        this.deps.warn(
          'safe_state',
          `could not write ${target} = ${String(value)} for the safe state (${failure.message}); it is written when ${instrument.id} is ready again`,
          { target, value, instrument: instrument.id },
        );
        deferred.set(instrument.id, [...(deferred.get(instrument.id) ?? []), [signal, value]]);
      }
    }
    for (const [id, pending] of deferred) {
      const off = this.deps.bus.on('actor.state', (change) => {
        if (change.id !== id || change.state !== 'ready') return;
        off();
        void (async () => {
          const instrument = this.deps.instruments.get(id);
          for (const [signal, value] of pending) {
            try {
              await instrument.write(signal, value, { wait: true });
              this.deps.warn(
                'safe_state',
                `wrote ${id}.${signal} = ${String(value)} on reconnect (safe state)`,
                {
                  target: `${id}.${signal}`,
                  value,
                  instrument: id,
                },
              );
            } catch (error) {
              const failure = toBenchtopError(error);
              this.deps.warn(
                'safe_state',
                `could not write ${id}.${signal} on reconnect: ${failure.message}`,
                {
                  target: `${id}.${signal}`,
                  value,
                  instrument: id,
                },
              );
            }
          }
        })();
      });
    }
  }

  private async stopMoving(): Promise<void> {
    for (const failure of await this.moves.stopAll()) {
      this.deps.warn('stop_failed', `could not stop ${failure.target}: ${failure.reason}`, { ...failure });
    }
  }

  private report(): void {
    this.deps.onProgress(this.progress.snapshot());
  }
}

/**
 * Calls `sample` every `intervalMs` on a deadline schedule (tick k at start + k·interval, so
 * lateness never becomes drift); a tick due while the previous sample is still reading is skipped.
 */
class MonitorSampler {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly sample: () => Promise<void>;
  private readonly startedAt: number;
  private tick = 0;
  private timer: { cancel(): void } | null = null;
  private inFlight: Promise<void> | null = null;
  stopped = false;

  constructor(clock: Clock, intervalMs: number, sample: () => Promise<void>) {
    this.clock = clock;
    this.intervalMs = intervalMs;
    this.sample = sample;
    this.startedAt = clock.monotonic();
    this.fire();
  }

  private fire(): void {
    if (this.stopped) return;
    if (!this.inFlight) {
      this.inFlight = this.sample().finally(() => {
        this.inFlight = null;
      });
    }
    const now = this.clock.monotonic();
    this.tick = Math.max(this.tick + 1, Math.floor((now - this.startedAt) / this.intervalMs) + 1);
    this.timer = this.clock.setTimeout(() => this.fire(), this.startedAt + this.tick * this.intervalMs - now);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.inFlight;
  }
}

/** Names the instrument in an error that does not say which one failed (a driver's LINK_LOST). */
function attributed<T>(id: string, promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (!(error instanceof BenchtopError) || error.details.instrument !== undefined) throw error;
    throw new BenchtopError(
      error.code,
      `${id}: ${error.message}`,
      { ...error.details, instrument: id },
      { cause: error },
    );
  });
}
