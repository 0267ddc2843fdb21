/**
 * Run documents, shaped like Bluesky's event-model so analysis tools and people who know
 * Bluesky read them without a translation table. Times are seconds since the epoch (float),
 * as in event-model. Every document is published on the bus as `run.document`.
 */

export type DataKeyDtype = 'number' | 'integer' | 'boolean' | 'string' | 'array';

export interface DataKey {
  dtype: DataKeyDtype;
  /** [] for scalars; [height, width] for a camera frame. */
  shape: number[];
  /** `instrument_id.signal` that produced it, e.g. `meter.power`. */
  source: string;
  units?: string;
  precision?: number;
  limits?: { control?: { low?: number; high?: number } };
  choices?: string[];
  /** numpy dtype string, e.g. `<f8`, `<u2`. */
  dtype_numpy?: string;
  /** Set when the data lives outside the event (camera frames): `STREAM:`. */
  external?: string;
}

export interface RunStart {
  uid: string;
  time: number;
  scan_id?: number;
  plan_name: string;
  plan_args: Record<string, unknown>;
  /** User metadata from the request (sample, operator, …) is merged in at the top level too. */
  metadata: Record<string, unknown>;
  /** Effective configuration at start (secrets redacted). */
  config: Record<string, unknown>;
  /** Instrument configuration/description at start, by instrument id. */
  instruments: Record<string, unknown>;
  versions: Record<string, string>;
  hints?: { dimensions?: [string[], string][] };
  /** Points expected, when known in advance. */
  num_points?: number;
  [extra: string]: unknown;
}

export interface EventDescriptor {
  uid: string;
  run_start: string;
  time: number;
  /** Stream name: `primary`, `baseline`, `camera`, … */
  name: string;
  data_keys: Record<string, DataKey>;
  configuration: Record<string, { data: Record<string, unknown>; timestamps: Record<string, number> }>;
  object_keys: Record<string, string[]>;
  hints?: Record<string, { fields: string[] }>;
}

export interface RunEvent {
  uid: string;
  descriptor: string;
  seq_num: number;
  time: number;
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  /** Fields whose data is in a stream_datum, not inline. */
  filled?: Record<string, boolean>;
}

export interface StreamResource {
  uid: string;
  run_start: string;
  data_key: string;
  mimetype: string;
  /** File URI relative to the run directory, e.g. `file://run-….h5`. */
  uri: string;
  parameters: Record<string, unknown>;
}

export interface StreamDatum {
  /** `<stream_resource uid>/<n>` */
  uid: string;
  stream_resource: string;
  descriptor: string;
  /** Rows in the external dataset; stop is exclusive. */
  indices: { start: number; stop: number };
  seq_nums: { start: number; stop: number };
}

export type ExitStatus = 'success' | 'abort' | 'fail';

export interface RunStop {
  uid: string;
  run_start: string;
  time: number;
  exit_status: ExitStatus;
  reason: string;
  num_events: Record<string, number>;
}

export type RunDocument =
  | { name: 'start'; doc: RunStart }
  | { name: 'descriptor'; doc: EventDescriptor }
  | { name: 'event'; doc: RunEvent }
  | { name: 'stream_resource'; doc: StreamResource }
  | { name: 'stream_datum'; doc: StreamDatum }
  | { name: 'stop'; doc: RunStop };
