/** Shapes of the Benchtop API as the dashboard reads them (see src/server/routes). */
import type {
  SignalDescription as CoreSignalDescription,
  SignalValue,
} from '../../../src/core/device-description.ts';

export type Role = 'viewer' | 'operator' | 'admin';

export interface Principal {
  kind: 'local' | 'key' | 'user';
  name: string;
  role: Role;
  auth: 'none' | 'required';
}

export type { SignalDtype, SignalValue } from '../../../src/core/device-description.ts';

export interface Reading {
  instrument: string;
  signal: string;
  value: SignalValue | null;
  unit?: string | null;
  timestamp: number;
  quality?: string;
}

export interface JsonSchema {
  type?: string;
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  if?: JsonSchema;
  then?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  unit?: string;
  'x-unit'?: string;
  'x-role'?: string;
  'x-position-of'?: string;
  'x-units'?: Record<string, string | null>;
}

/** A signal as GET /api/v1/instruments/{id} returns it: the server's description plus its value schema and last reading. */
export interface SignalDescription extends CoreSignalDescription {
  schema?: JsonSchema;
  last: Reading | null;
}

export interface ActionDescription {
  name: string;
  description: string;
  args: JsonSchema;
  completes: boolean;
}

export type InstrumentState =
  | 'starting'
  | 'ready'
  | 'failed'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'faulted';

export interface InstrumentError {
  code: string;
  message: string;
}

export interface InstrumentSummary {
  id: string;
  type: string;
  state: InstrumentState;
  lastError: InstrumentError | null;
  identity?: {
    model?: string;
    manufacturer?: string;
    serial?: string;
    firmware?: string;
    raw?: string;
  } | null;
}

export interface InstrumentDetail extends InstrumentSummary {
  signals: SignalDescription[];
  actions: ActionDescription[];
}

export interface ActorStateMessage {
  type: 'actor.state';
  id: string;
  kind: string;
  state: InstrumentState;
  previous: InstrumentState | null;
  at: number;
  error?: InstrumentError;
  restarts: number;
  retryInMs?: number;
}

export interface Plan {
  name: string;
  description: string;
  schema: JsonSchema;
}

export type RunState = 'queued' | 'running' | 'paused' | 'suspended' | 'finished' | 'cancelled';

export interface RunProgress {
  done: number;
  total: number | null;
  eta_s: number | null;
}

/** A queued, running or recently finished run, as the engine reports it. */
import type { RunInfo as LiveRun } from '../../../src/engine/run-events.ts';

export type { LiveRun };

import type { RunRecord } from '../../../src/storage/catalog/run-record.ts';

export type { RunRecord };

export interface RunSearchResult {
  live: LiveRun[];
  runs: RunRecord[];
  total: number;
}

export interface DataKey {
  dtype: string;
  shape: number[];
  source: string;
  units?: string;
  external?: string;
}

export type RunDocument =
  | {
      name: 'start';
      doc: Record<string, unknown> & {
        uid: string;
        plan_name: string;
        motors?: string[];
        detectors?: string[];
        plan_args?: Record<string, unknown>;
      };
    }
  | { name: 'descriptor'; doc: { uid: string; name: string; data_keys: Record<string, DataKey> } }
  | {
      name: 'event';
      doc: { seq_num: number; time: number; descriptor: string; data: Record<string, unknown> };
    }
  | { name: 'stop'; doc: { exit_status: string; reason: string; num_events: Record<string, number> } }
  | { name: 'stream_resource' | 'stream_datum'; doc: Record<string, unknown> };

export type { AlarmEvent, AlarmSnapshot } from '../../../src/alarms/alarm-types.ts';
export type { Series as HistorySeries } from '../../../src/storage/timeseries/timeseries-store.ts';

export interface HealthCheck {
  name: string;
  status: 'healthy' | 'degraded' | 'unhealthy';
  details?: Record<string, unknown>;
  message?: string;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  checked_at: string;
  checks: HealthCheck[];
}

export interface LogRecord {
  time: string;
  level: string | number;
  msg: string;
  [field: string]: unknown;
}
