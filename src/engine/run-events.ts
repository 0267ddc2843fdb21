import type { ExitStatus, RunDocument } from '../core/documents.ts';

/**
 * A submitted run's life: `queued` → `running` ⇄ `paused` / `suspended` → `finished` (with an
 * exit status), or `cancelled` if it was removed from the queue before it started.
 */
export type RunState = 'queued' | 'running' | 'paused' | 'suspended' | 'finished' | 'cancelled';

/** `run.document`: every document of every run, in order. */
export interface RunDocumentEvent {
  uid: string;
  document: RunDocument;
}

/** `run.progress`: after every point (and every state change). */
export interface RunProgress {
  uid: string;
  done: number;
  /** Points expected, when the plan knows (a duration-bounded acquisition may not). */
  total: number | null;
  /** From the active (not paused or suspended) time per point so far. */
  eta_s: number | null;
  /** What the plan itself reports (a recipe: step k of n, cycle i of N, estimated thickness). */
  detail?: Record<string, unknown>;
  state: RunState;
}

/** `run.state` */
export interface RunStateChange {
  uid: string;
  state: RunState;
  previous: RunState | null;
  /** Why: the suspension, the abort reason, the failure. */
  reason?: string;
  exit_status?: ExitStatus;
  /** While suspended: since when (seconds since the epoch), so a viewer can show the elapsed time. */
  suspended_at?: number;
  /** While suspended for an unavailable instrument: when the run fails unless it is back (epoch s). */
  fails_at?: number;
}

export const RunWarningKinds = [
  /** The writer refused data (full queue, write error): the count is in `details.dropped`. */
  'writer_dropped',
  /** The writer's queue is more than three quarters full: the disk is not keeping up. */
  'writer_backpressure',
  /** The writer failed; the run ends with exit_status fail. */
  'writer_error',
  /** The writer stored something differently from how it arrived (wrong type, frame size). */
  'writer_warning',
  /** The catalog could not record the run; its files are still written. */
  'catalog_error',
  /** A moving device could not be stopped on pause, suspend or abort. */
  'stop_failed',
  /** A safe-state write (`finalize`) could not be made at the run's end, or was made on reconnect. */
  'safe_state',
] as const;
export type RunWarningKind = (typeof RunWarningKinds)[number];

/** `run.warning`: something the user must know about a run that did not (yet) end it. */
export interface RunWarning {
  uid: string;
  kind: RunWarningKind;
  message: string;
  details: Record<string, unknown>;
}

/** A run as the API and CLI see it: queued, running, or recently finished. */
export interface RunInfo {
  uid: string;
  plan: string;
  args: Record<string, unknown>;
  metadata: Record<string, unknown>;
  state: RunState;
  /** Seconds since the epoch. */
  submitted_at: number;
  started_at: number | null;
  ended_at: number | null;
  exit_status: ExitStatus | null;
  reason: string | null;
  /** For a failed run: the error's code and message. */
  error: { code: string; message: string } | null;
  progress: { done: number; total: number | null; eta_s: number | null; detail?: Record<string, unknown> };
  num_events: Record<string, number>;
  /** Relative to output_dir, once the writer has closed. */
  files: string[];
  /** Active suspension reasons while suspended. */
  suspended_by: string[];
  /** While suspended: since when (seconds since the epoch). */
  suspended_at: number | null;
  /** While suspended for an unavailable instrument: when it fails unless the instrument is back. */
  fails_at: number | null;
  warnings: RunWarning[];
}

// The run engine's bus topics (core's BenchtopEvents knows nothing of runs).
declare module '../core/events.ts' {
  interface BenchtopEvents {
    /** Every run document (start, descriptor, event, stream_resource, stream_datum, stop), in order. */
    'run.document': RunDocumentEvent;
    /** Points done / total and ETA of the running run. */
    'run.progress': RunProgress;
    /** A run was queued, started, paused, suspended, resumed, finished or cancelled. */
    'run.state': RunStateChange;
    /** Writer backpressure or drops, catalog failures, a device that would not stop. */
    'run.warning': RunWarning;
  }
}
