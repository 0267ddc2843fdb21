import type { SignalValue } from '../core/device.ts';
import type { ExitStatus } from '../core/documents.ts';
import type { Comparison } from './conditions.ts';

/**
 * The plain messages a plan yields. A plan is a generator: it yields a message, the engine
 * carries it out and sends back its result (readings for `read`/`trigger_and_read`, nothing
 * otherwise). Plans never touch instruments, files or the clock themselves, so a plan is
 * tested by iterating it with no engine at all.
 *
 * Targets are named as everywhere else: `instrument_id.signal` (`stage.axis1.position`) for a
 * signal, the bare instrument id (`camera`) for a camera's frames.
 */
export type Msg =
  /** Opens the run: the start document. `num_points` (when known) drives progress and ETA. */
  | { command: 'open_run'; metadata?: Record<string, unknown>; num_points?: number; hints?: RunHints }
  /** Closes the run: the stop document. Without it the engine closes with success at the plan's end. */
  | { command: 'close_run'; exit_status?: ExitStatus; reason?: string }
  /** Writes a signal. With `wait` (default) the step waits until the instrument is done (motion, tuning). */
  | { command: 'set'; target: string; value: SignalValue; wait?: boolean; group?: string }
  /** Waits for every `set` issued with `wait: false` (in `group`, when given) to complete. */
  | { command: 'wait'; group?: string }
  /** Reads targets and returns their readings to the plan; nothing is saved. */
  | { command: 'read'; targets: string[] }
  /**
   * Reads `target` every `poll_s` until `until` holds or `timeout_s` has passed on the engine's
   * clock; returns a `ReadUntilResult`. One message, so a step re-done after a suspension reads
   * and times afresh (a plan polling with `read` would carry its timing across the suspension).
   */
  | {
      command: 'read_until';
      target: string;
      until: { op: Comparison; value: number | boolean };
      timeout_s: number;
      poll_s: number;
    }
  /**
   * Reads detectors (a camera snaps one frame) and saves one event in `stream` (default `primary`).
   * A point of a schedule says when it is due (`due_s` after the run opened) and how late it may
   * be taken (`late_after_s`): reached later than that (the run was suspended meanwhile), its
   * time has passed and it is saved with every value missing, never read late or repeated.
   */
  | {
      command: 'trigger_and_read';
      detectors: string[];
      stream?: string;
      due_s?: number;
      late_after_s?: number;
    }
  /** Streams camera frames into `stream` (default `primary`), one event per frame. */
  | {
      command: 'camera_frames';
      camera: string;
      count?: number;
      duration_s?: number;
      exposure_ms?: number;
      stream?: string;
    }
  /**
   * A safe place to pause and the point a suspended run re-does its step from. Moves still in
   * flight are awaited first, so nothing is moving when the run stops here.
   */
  | { command: 'checkpoint' }
  /** Waits on the engine's clock. */
  | { command: 'sleep'; seconds: number }
  /** Waits until `seconds` after the run opened (deadline schedules: no drift). Never waits when late. */
  | { command: 'sleep_until'; seconds: number }
  /** Prepares a device (calls its `stage` action if it has one); `unstage` undoes it. */
  | { command: 'stage'; target: string }
  | { command: 'unstage'; target: string }
  /** Writes several settings of one instrument (waiting for each); recorded in later descriptors. */
  | { command: 'configure'; instrument: string; settings: Record<string, SignalValue> }
  /**
   * Samples `targets` every `interval_s` into `stream` in the background, on a deadline schedule,
   * until the run ends (a process trace beside the plan's own steps). A failed read skips a sample.
   */
  | { command: 'monitor'; targets: string[]; interval_s: number; stream: string }
  /**
   * Writes the engine makes when the run ends, however it ends (success, abort, failure,
   * shutdown), and while it is suspended: the safe state. A write that cannot be made because its instrument is away is
   * made when the instrument is ready again. A later `finalize` of the same target replaces it.
   */
  | { command: 'finalize'; writes: { target: string; value: SignalValue }[] }
  /** Plan-specific progress (step k of n, cycle i of N…), published with the run's progress. */
  | { command: 'progress'; detail: Record<string, unknown> }
  /** The end of a unit of work (a recipe's cycle): where a stop requested `at: 'boundary'` ends the run. */
  | { command: 'boundary' };

export type Command = Msg['command'];

export interface RunHints {
  /** Bluesky's `hints.dimensions`: the independent axes of the primary stream. */
  dimensions?: [string[], string][];
}

/** Readings returned to the plan, by target. */
export type ReadResult = Record<string, { value: unknown; timestamp: number }>;

/** What `read_until` returns: whether it held, the last value, and its first and last readings' times (ms). */
export interface ReadUntilResult {
  held: boolean;
  value: unknown;
  first_at: number;
  at: number;
}

/** What every plan is: messages out, results in. */
export type PlanGenerator = Generator<Msg, void, unknown>;

// Small constructors keep plans readable and the message shapes in one place.

export const openRun = (
  metadata: Record<string, unknown> = {},
  extra: { num_points?: number; hints?: RunHints } = {},
): Msg => ({
  command: 'open_run',
  metadata,
  ...extra,
});
export const closeRun = (): Msg => ({ command: 'close_run' });
export const set = (target: string, value: SignalValue, wait = true): Msg => ({
  command: 'set',
  target,
  value,
  wait,
});
export const checkpoint = (): Msg => ({ command: 'checkpoint' });
export const sleep = (seconds: number): Msg => ({ command: 'sleep', seconds });
export const sleepUntil = (seconds: number): Msg => ({ command: 'sleep_until', seconds });
export const triggerAndRead = (
  detectors: string[],
  stream = 'primary',
  schedule: { due_s: number; late_after_s: number } | Record<string, never> = {},
): Msg => ({
  command: 'trigger_and_read',
  detectors,
  stream,
  ...schedule,
});
