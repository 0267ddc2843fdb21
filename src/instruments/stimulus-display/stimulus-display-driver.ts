import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { TimerHandle } from '../../core/clock.ts';
import type { DriverContext, DriverIdentity, InstrumentDriver, SignalDef } from '../../core/device.ts';
import { action, type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { PresentedStimulusFrame } from '../../core/stimulus-frame.ts';
import type { KindDeps } from '../kind.ts';
import { protocolOf, type StimulusDisplayConfig } from './config.ts';
import { PresentationRun } from './presentation-run.ts';
import {
  computeSchedule,
  coordinateOf,
  Directions,
  type ProtocolSchedule,
  protocolProblems,
  type StimulusProtocol,
} from './protocol-schedule.ts';

const noArgs = Type.Object({}, { additionalProperties: false });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const ReportedFrame = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    direction: Nullable(Type.Union(Directions.map((d) => Type.Literal(d)))),
    sweep: Nullable(Type.Integer({ minimum: 0 })),
    phase: Type.Union([Type.Literal('baseline'), Type.Literal('sweep'), Type.Literal('gap')]),
    bar_deg: Nullable(Type.Number()),
    presented_at: Type.Number({ description: 'Presentation time on the server clock, ms since the epoch' }),
  },
  { additionalProperties: false },
);

/**
 * A stimulus monitor driven by a browser page (`/stimulus?display=ID`). The driver holds the
 * protocol and its schedule; the page fetches both, draws each frame itself at the display's
 * refresh, measures its clock offset to the server (`server_time` round trips) and reports every
 * frame it presented (`report`) with the time on the server's clock. Reports are checked against
 * the schedule, counted (dropped, late, mismatched) and published on the bus as
 * `stimulus.frames`; in simulation they also reach the lab, whose cortex responds to them. A page
 * that stops reporting for `stall_timeout_s` while a run is due ends the run as stalled.
 */
export class StimulusDisplayDriver implements InstrumentDriver {
  readonly type = 'StimulusDisplay';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  private readonly id: string;
  private readonly config: StimulusDisplayConfig;
  private readonly deps: KindDeps;
  private readonly protocol: StimulusProtocol;
  private ctx: DriverContext | null = null;
  private run: PresentationRun | null = null;
  private stallTimer: TimerHandle | null = null;
  private clockOffsetMs = Number.NaN;
  private clockUncertaintyMs = Number.NaN;

  constructor(id: string, config: StimulusDisplayConfig, deps: KindDeps) {
    this.id = id;
    this.config = config;
    this.deps = deps;
    this.protocol = protocolOf(config);
    const counter = (description: string, read: (run: PresentationRun) => number) =>
      signal<number>({
        dtype: 'integer',
        monitored: true,
        description,
        read: async () => (this.run ? read(this.run) : 0),
      });
    this.signals = {
      refresh_hz: signal<number>({
        dtype: 'number',
        unit: 'Hz',
        description: 'Display refresh rate the protocol is drawn at',
        read: async () => config.refresh_hz,
      }),
      run_state: signal<string>({
        dtype: 'string',
        monitored: true,
        description: 'The last presentation run: idle, pending, presenting, done, stalled or stopped',
        read: async () => this.run?.state ?? 'idle',
      }),
      frames_presented: counter(
        'Frames the page reported presenting in this run',
        (r) => r.counters.presented,
      ),
      frames_dropped: counter('Frames skipped (never presented) in this run', (r) => r.counters.dropped),
      frames_late: counter(
        'Frames shown over 1.5 frame periods after the one before (a missed refresh)',
        (r) => r.counters.late,
      ),
      frames_mismatched: counter(
        'Reported frames that differ from the schedule',
        (r) => r.counters.mismatched,
      ),
      // Published when a page reports its measurement; not polled, since before the first one
      // there is no number to give (NaN is not a reading).
      clock_offset_ms: signal<number>({
        dtype: 'number',
        unit: 'ms',
        description: "Server clock minus the page's clock, as the page measured it",
        read: async () => this.measured(this.clockOffsetMs),
      }),
      clock_uncertainty_ms: signal<number>({
        dtype: 'number',
        unit: 'ms',
        description: 'Half the shortest round trip of the offset measurement',
        read: async () => this.measured(this.clockUncertaintyMs),
      }),
    };
    this.actions = {
      schedule: action({
        description:
          'The protocol schedule: sweep ranges, durations and frequencies per direction, frames, total',
        args: noArgs,
        run: async () => this.describeSchedule(),
      }),
      protocol: action({
        description: 'Protocol parameters and the current run, for the presentation page',
        args: noArgs,
        run: async () => ({
          protocol: this.protocol,
          run: this.describeRun(),
          // The page draws the flipping corner patch when a photodiode watches it.
          photodiode: this.config.photodiode_signal
            ? {
                signal: this.config.photodiode_signal,
                threshold: this.config.photodiode_threshold ?? null,
              }
            : null,
        }),
      }),
      server_time: action({
        description: "The server's clock (ms since the epoch), for the page's offset measurement",
        args: noArgs,
        run: async () => ({ now: this.deps.clock.now() }),
      }),
      start: action({
        description: 'Present the protocol once, starting lead_s from now',
        args: Type.Object(
          { lead_s: Type.Number({ minimum: 0, maximum: 60, default: 1 }) },
          { additionalProperties: false },
        ),
        run: async ({ lead_s }) => this.start(lead_s ?? 1),
      }),
      stop: action({
        description: 'Stop the current run',
        args: noArgs,
        run: async () => {
          if (this.run && !this.run.finished) this.finish('stopped', 'stopped by request');
          return this.describeRun();
        },
      }),
      report: action({
        description: 'Frames the page presented (index order), with the clock offset it measured',
        args: Type.Object(
          {
            run: Type.String(),
            offset_ms: Type.Optional(Type.Number()),
            uncertainty_ms: Type.Optional(Type.Number()),
            frames: Type.Array(ReportedFrame, { maxItems: 10_000 }),
          },
          { additionalProperties: false },
        ),
        run: async (args) => this.report(args),
      }),
    };
  }

  private measured(value: number): number {
    if (Number.isFinite(value)) return value;
    throw new BenchtopError('INSTRUMENT_ERROR', `${this.id}: no page has reported its clock offset yet`, {
      instrument: this.id,
    });
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    this.ctx = ctx;
    return {
      model: `StimulusDisplay ${this.config.resolution_x}×${this.config.resolution_y}@${this.config.refresh_hz}Hz`,
    };
  }

  async disconnect(): Promise<void> {
    this.stallTimer?.cancel();
    this.stallTimer = null;
    this.ctx = null;
  }

  /** The schedule, or VALUE_INVALID naming every problem. */
  private checkedSchedule(): ProtocolSchedule {
    const problems = protocolProblems(this.protocol);
    if (problems.length > 0)
      throw new BenchtopError(
        'VALUE_INVALID',
        `${this.id}: the protocol cannot run: ${problems.join('; ')}`,
        {
          instrument: this.id,
          problems,
        },
      );
    return computeSchedule(this.protocol);
  }

  private describeSchedule() {
    const problems = protocolProblems(this.protocol);
    const s = computeSchedule(this.protocol);
    return {
      problems,
      refresh_hz: s.refreshHz,
      field: s.field,
      directions: s.directions,
      frame_count: s.frameCount,
      total_s: s.totalS,
      segments: s.segments,
    };
  }

  private describeRun() {
    const run = this.run;
    if (!run) return null;
    return {
      id: run.id,
      start_at: run.startAt,
      state: run.state,
      reason: run.reason,
      frame_count: run.schedule.frameCount,
      last_index: run.lastIndex,
      ...run.counters,
      mismatches: run.mismatches.slice(0, 10),
    };
  }

  private start(leadS: number) {
    if (this.run && !this.run.finished)
      throw new BenchtopError('INSTRUMENT_ERROR', `${this.id}: a run is already ${this.run.state}`, {
        instrument: this.id,
        run: this.run.id,
      });
    const schedule = this.checkedSchedule();
    this.run = new PresentationRun(randomUUID(), this.deps.clock.now() + leadS * 1000, schedule);
    this.changed();
    this.armStallTimer(leadS * 1000 + this.config.stall_timeout_s * 1000);
    return this.describeRun();
  }

  private report(args: {
    run: string;
    offset_ms?: number;
    uncertainty_ms?: number;
    frames: {
      index: number;
      direction: PresentedStimulusFrame['direction'];
      sweep: number | null;
      phase: PresentedStimulusFrame['phase'];
      bar_deg: number | null;
      presented_at: number;
    }[];
  }) {
    const run = this.run;
    if (!run || run.id !== args.run)
      throw new BenchtopError('VALUE_INVALID', `${this.id}: no run ${args.run}`, { instrument: this.id });
    if (args.offset_ms !== undefined) this.clockOffsetMs = args.offset_ms;
    if (args.uncertainty_ms !== undefined) this.clockUncertaintyMs = args.uncertainty_ms;
    if (run.finished) return { ...this.describeRun(), accepted: 0 };
    const accepted = run.accept(
      args.frames.map((f) => ({
        index: f.index,
        direction: f.direction,
        sweep: f.sweep,
        phase: f.phase,
        barDeg: f.bar_deg,
        presentedAt: f.presented_at,
      })),
    );
    if (accepted.length > 0) {
      this.deps.bus?.emit('stimulus.frames', { display: this.id, run: run.id, frames: accepted });
      this.showToLab(accepted);
    }
    if (run.state === 'done') this.finish('done', null);
    else {
      this.armStallTimer(this.config.stall_timeout_s * 1000);
      this.changed();
    }
    return { ...this.describeRun(), accepted: accepted.length };
  }

  /** In simulation the animal sees the frames: the lab's cortex responds to them. */
  private showToLab(frames: readonly PresentedStimulusFrame[]): void {
    const lab = this.deps.lab;
    if (!lab) return;
    const periodMs = 1000 / this.config.refresh_hz;
    const frameCount = this.run?.schedule.frameCount ?? 0;
    if (this.config.photodiode_signal)
      for (const f of frames) lab.monitorPatch.record(f.presentedAt, f.index, periodMs, frameCount);
    for (const f of frames)
      lab.visualStimulus.record(
        f.presentedAt,
        {
          coordinate: f.direction ? coordinateOf(f.direction) : null,
          barDeg: f.phase === 'sweep' ? f.barDeg : null,
          widthDeg: this.config.bar_width_deg,
        },
        periodMs,
      );
  }

  private armStallTimer(ms: number): void {
    this.stallTimer?.cancel();
    const run = this.run;
    this.stallTimer = this.deps.clock.setTimeout(() => {
      if (this.run === run && run && !run.finished)
        this.finish(
          'stalled',
          `the page reported no frame for ${this.config.stall_timeout_s} s (last frame ${run.lastIndex} of ${run.schedule.frameCount})`,
        );
    }, ms);
  }

  private finish(state: 'done' | 'stalled' | 'stopped', reason: string | null): void {
    const run = this.run;
    if (!run) return;
    this.stallTimer?.cancel();
    this.stallTimer = null;
    run.state = state;
    run.reason = reason;
    this.changed();
    if (state !== 'done' || reason === null)
      this.deps.log.info(`${this.id}: stimulus run ${run.id} ${state}`);
  }

  /** Publishes the run's state and counters, and its change on the bus. */
  private changed(): void {
    const run = this.run;
    if (!run) return;
    const ctx = this.ctx;
    if (ctx) {
      ctx.publish('run_state', run.state);
      ctx.publish('frames_presented', run.counters.presented);
      ctx.publish('frames_dropped', run.counters.dropped);
      ctx.publish('frames_late', run.counters.late);
      ctx.publish('frames_mismatched', run.counters.mismatched);
      if (Number.isFinite(this.clockOffsetMs)) {
        ctx.publish('clock_offset_ms', this.clockOffsetMs);
        ctx.publish('clock_uncertainty_ms', this.clockUncertaintyMs);
      }
    }
    this.deps.bus?.emit('stimulus.run', {
      display: this.id,
      run: run.id,
      state: run.state,
      reason: run.reason,
    });
  }
}
