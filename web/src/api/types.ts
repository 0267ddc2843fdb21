/**
 * Shapes of the Benchtop API as the dashboard reads them. Nothing is copied here: the HTTP
 * replies come from the server's response schemas (src/server/api-types.ts), bus payloads from
 * the modules that publish them. Only the JSON Schema reader the forms need is the dashboard's own.
 */
import type { Plan as ApiPlan, LiveRun } from '../../../src/server/api-types.ts';

export type { ActorStateChange } from '../../../src/core/actor-state.ts';
export type { SignalDtype, SignalValue } from '../../../src/core/device-description.ts';
export type { DataKey, RunDocument } from '../../../src/core/documents.ts';
export type {
  ActionDescription,
  ActionReply,
  AlarmEvent,
  AlarmList,
  AlarmSnapshot,
  HealthCheck,
  HealthReport,
  HistoryReply,
  HistorySeries,
  InstrumentDetail,
  InstrumentError,
  InstrumentState,
  InstrumentSummary,
  LineDefect,
  LineDefectList,
  LineList,
  LineReport,
  LiveRun,
  LogRecord,
  Principal,
  ProcessMap,
  Reading,
  RecipeRecord,
  RecipeValidation,
  RecipeVersionInfo,
  Role,
  RunDetail,
  RunRecord,
  RunSearchResult,
  RunState,
  SignalDescription,
  SignalReadReply,
  SignalWriteReply,
  SubmitReply,
  SystemInfo,
  Tokens,
} from '../../../src/server/api-types.ts';

import type { ActorStateChange } from '../../../src/core/actor-state.ts';

/** An `actor.state` message on the stream: the bus payload with its topic as `type`. */
export type ActorStateMessage = { type: 'actor.state' } & ActorStateChange;

/** Points done / total and ETA, as a run reports them. */
export type RunProgress = LiveRun['progress'];

/** A plan, its argument schema read as JSON Schema by the form builder. */
export type Plan = Omit<ApiPlan, 'schema'> & { schema: JsonSchema };

/** The part of JSON Schema the dashboard's forms read (plan arguments, signal values, action args). */
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
