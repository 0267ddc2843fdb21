import { type Static, type TLiteral, type TSchema, Type } from '@sinclair/typebox';
import { ActorStates } from '../core/actor-state.ts';
import { CameraActionRoles, CameraSignalRoles } from '../core/capabilities.ts';
import { ArrayElementDtypes, SignalDtypes } from '../core/device-description.ts';

/**
 * The HTTP API's replies, written once: routes declare these as their response schemas (so
 * fastify serialises with them and the OpenAPI document describes them), and the dashboard takes
 * its types from the same `Static`s (web/src/api/types.ts re-exports them). Objects are strict
 * (`additionalProperties: false`): a field the server sends must be named here, and
 * src/server/api-contract.test.ts fails when a route replies with anything its schema does not allow.
 * Only plain TypeBox and core constants are imported, so the dashboard's type check can read it.
 */

const strict = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Literals = <const L extends readonly string[]>(values: L) =>
  Type.Union(values.map((v) => Type.Literal(v)) as TLiteral<L[number]>[]);
/** A JSON object whose keys the API does not fix (documents, metadata, JSON Schemas, details). */
const JsonObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

/** The one error shape every route returns. */
export const ErrorReply = strict({
  error: strict({
    code: Type.String(),
    message: Type.String(),
    details: JsonObject('what the error is about (field, value, limits, …)'),
  }),
});
export type ErrorReply = Static<typeof ErrorReply>;

/** Error replies every operation may give, for its response table. */
export const ErrorResponses = { '4xx': ErrorReply, '5xx': ErrorReply } as const;

export const Ok = strict({ ok: Type.Literal(true) });

// ---- instruments ----------------------------------------------------------------------------

/** A scalar, or an `array` signal's elements flat in row-major order. */
export const SignalValue = Type.Union([
  Type.Number(),
  Type.Boolean(),
  Type.String(),
  // Readonly like the core's SignalValue: a reading's elements are never mutated.
  Type.Unsafe<readonly number[]>(Type.Array(Type.Number())),
]);
export const InstrumentState = Literals(ActorStates);
export type InstrumentState = Static<typeof InstrumentState>;
export const InstrumentError = strict({ code: Type.String(), message: Type.String() });
export type InstrumentError = Static<typeof InstrumentError>;

export const DriverIdentity = strict({
  model: Type.String(),
  manufacturer: Type.Optional(Type.String()),
  serial: Type.Optional(Type.String()),
  firmware: Type.Optional(Type.String()),
  raw: Type.Optional(Type.String()),
});

export const Reading = strict({
  instrument: Type.String(),
  signal: Type.String(),
  value: SignalValue,
  timestamp: Type.Number({ description: 'epoch ms' }),
  unit: Type.Optional(Type.String()),
  quality: Literals(['good', 'invalid'] as const),
});
export type Reading = Static<typeof Reading>;

export const InstrumentSummary = strict({
  id: Type.String(),
  type: Type.String(),
  state: InstrumentState,
  lastError: Nullable(InstrumentError),
  identity: Nullable(DriverIdentity),
  host: Type.Optional(Type.String({ description: 'The agent host it is attached to (several machines)' })),
  control: Type.Optional(
    strict(
      {
        holder: Type.String({ description: 'A hub, or `operator <name> at agent <id>`' }),
        local: Type.Boolean({ description: 'An operator at the agent host holds it: hubs are refused' }),
        note: Type.Optional(Type.String()),
        renewedAt: Type.Number({ description: "Holder's clock, epoch ms" }),
        lapsesAt: Type.Number({ description: 'Unless renewed by then, epoch ms' }),
      },
      'Who holds the control lease (several machines; absent when nobody does)',
    ),
  ),
});
export type InstrumentSummary = Static<typeof InstrumentSummary>;

export const SignalDescription = strict({
  name: Type.String(),
  dtype: Literals(SignalDtypes),
  unit: Type.Optional(Type.String()),
  limits: Type.Optional(strict({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) })),
  choices: Type.Optional(Type.Array(Type.String())),
  shape: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0 }), { description: '`array` signals: dimensions' }),
  ),
  element: Type.Optional(Literals(ArrayElementDtypes)),
  readable: Type.Boolean(),
  writable: Type.Boolean(),
  description: Type.String(),
  precision: Type.Optional(Type.Number()),
  monitored: Type.Boolean(),
  completes: Type.Boolean(),
  schema: Type.Optional(JsonObject('JSON Schema of a value a write accepts (writable signals)')),
  last: Nullable(Reading),
});
export type SignalDescription = Static<typeof SignalDescription>;

export const ActionDescription = strict({
  name: Type.String(),
  description: Type.String(),
  args: JsonObject('JSON Schema of the `args` object'),
  completes: Type.Boolean(),
});
export type ActionDescription = Static<typeof ActionDescription>;

const roleNames = <const R extends readonly string[]>(roles: R) =>
  Type.Partial(
    Type.Object(
      Object.fromEntries(roles.map((r) => [r, Type.String()])) as Record<
        R[number],
        ReturnType<typeof Type.String>
      >,
      {
        additionalProperties: false,
      },
    ),
  );

/** What an instrument is beyond its signals, with the driver's names for each standard role (src/core/capabilities.ts). */
export const CapabilityDescription = Type.Union([
  strict({
    kind: Type.Literal('camera'),
    signals: roleNames(CameraSignalRoles),
    actions: roleNames(CameraActionRoles),
  }),
  strict({
    kind: Type.Literal('motor'),
    name: Type.String(),
    signals: strict({ position: Type.String(), moving: Type.String() }),
    actions: strict({ stop: Type.String(), home: Type.Optional(Type.String()) }),
  }),
  strict({
    kind: Type.Literal('points'),
    points: Type.Array(
      strict({
        name: Type.String(),
        address: Type.String(),
        type: Type.String(),
        unit: Type.Optional(Type.String()),
        writable: Type.Boolean(),
      }),
    ),
  }),
  strict({ kind: Type.Literal('detector'), signals: strict({ value: Type.String() }) }),
]);

export const InstrumentDetail = strict({
  ...InstrumentSummary.properties,
  signals: Type.Array(SignalDescription),
  actions: Type.Array(ActionDescription),
  capabilities: Type.Array(CapabilityDescription),
});
export type InstrumentDetail = Static<typeof InstrumentDetail>;

export const SignalReadReply = strict({
  value: SignalValue,
  unit: Nullable(Type.String()),
  timestamp: Type.Number({ description: 'epoch ms' }),
  quality: Literals(['good', 'invalid'] as const),
});
export type SignalReadReply = Static<typeof SignalReadReply>;

export const SignalWriteReply = strict({
  ok: Type.Literal(true),
  done: Type.Boolean({ description: 'false when the write was only sent (wait=false)' }),
  value: Type.Optional(SignalValue),
  unit: Type.Optional(Nullable(Type.String())),
  timestamp: Type.Optional(Type.Number()),
});
export type SignalWriteReply = Static<typeof SignalWriteReply>;

export const RestartReply = strict({
  ok: Type.Literal(true),
  id: Type.String(),
  previous: InstrumentState,
  state: InstrumentState,
  lastError: Nullable(InstrumentError),
});
export type RestartReply = Static<typeof RestartReply>;

export const ReleaseControlReply = strict({
  ok: Type.Literal(true),
  id: Type.String(),
  released: Type.Boolean({ description: 'Whether this server held the control lease (and gave it up)' }),
});

export const ActionReply = strict({ ok: Type.Literal(true), result: Type.Unknown() });

// ---- runs -----------------------------------------------------------------------------------

export const RunState = Literals([
  'queued',
  'running',
  'paused',
  'suspended',
  'finished',
  'cancelled',
] as const);
export type RunState = Static<typeof RunState>;
const ExitStatus = Literals(['success', 'abort', 'fail'] as const);

export const Plan = strict({
  name: Type.String(),
  description: Type.String(),
  schema: JsonObject('JSON Schema of the arguments, built from the live instruments'),
});
export type ActionReply = Static<typeof ActionReply>;
export type Plan = Static<typeof Plan>;

export const RunWarning = strict({
  uid: Type.String(),
  kind: Type.String(),
  message: Type.String(),
  details: JsonObject('figures of the warning'),
});

/** A queued, running or recently finished run, as the engine reports it. */
export const LiveRun = strict({
  uid: Type.String(),
  plan: Type.String(),
  args: JsonObject('plan arguments'),
  metadata: JsonObject('run metadata'),
  state: RunState,
  submitted_at: Type.Number({ description: 'epoch s' }),
  started_at: Nullable(Type.Number()),
  ended_at: Nullable(Type.Number()),
  exit_status: Nullable(ExitStatus),
  reason: Nullable(Type.String()),
  error: Nullable(InstrumentError),
  progress: strict({
    done: Type.Number(),
    total: Nullable(Type.Number()),
    eta_s: Nullable(Type.Number()),
    detail: Type.Optional(JsonObject("the plan's own progress (a recipe: step, cycle, thickness)")),
  }),
  num_events: Type.Record(Type.String(), Type.Number()),
  files: Type.Array(Type.String()),
  suspended_by: Type.Array(Type.String()),
  suspended_at: Nullable(Type.Number()),
  fails_at: Nullable(Type.Number()),
  warnings: Type.Array(RunWarning),
});
export type LiveRun = Static<typeof LiveRun>;

const RunRecordProperties = {
  uid: Type.String(),
  scan_id: Nullable(Type.Integer()),
  plan_name: Type.String(),
  plan_args: JsonObject('plan arguments'),
  metadata: JsonObject('run metadata'),
  start_time: Type.Number({ description: 'epoch s' }),
  end_time: Nullable(Type.Number()),
  status: Literals(['running', 'success', 'abort', 'fail', 'interrupted'] as const),
  reason: Nullable(Type.String()),
  files: Type.Array(Type.String()),
  num_events: Type.Record(Type.String(), Type.Number()),
  format: Type.String(),
  files_deleted_at: Nullable(Type.Number()),
};
/** One catalog entry. */
export const RunRecord = strict(RunRecordProperties);
export type RunRecord = Static<typeof RunRecord>;

export const RunSearchResult = strict({
  live: Type.Array(LiveRun),
  runs: Type.Array(RunRecord),
  total: Type.Integer(),
});
export type RunSearchResult = Static<typeof RunSearchResult>;

/** GET /runs/{uid}: the catalog entry (when recorded) and the live state (while the engine knows the run). */
export const RunDetail = strict(
  {
    ...Type.Partial(RunRecord).properties,
    live: Type.Optional(LiveRun),
  },
  'fields of the catalog entry when the run is recorded; `live` while the engine knows it',
);
export type RunDetail = Static<typeof RunDetail>;

export const SubmitReply = strict({ uid: Type.String(), run: LiveRun });

/** One run document as stored (the document kinds are typed in src/core/documents.ts). */
export const StoredDocument = strict({
  name: Literals(['start', 'descriptor', 'event', 'stream_resource', 'stream_datum', 'stop'] as const),
  doc: JsonObject('the event-model document'),
});
export type StoredDocument = Static<typeof StoredDocument>;
export type SubmitReply = Static<typeof SubmitReply>;

// ---- history, alarms ------------------------------------------------------------------------

const RawPoint = strict({
  time: Type.Number({ description: 'epoch ms' }),
  value: Nullable(Type.Number()),
  quality: Type.Optional(Type.String()),
});
const Bucket = strict({
  time: Type.Number({ description: 'bucket start, epoch ms' }),
  min: Nullable(Type.Number()),
  max: Nullable(Type.Number()),
  mean: Nullable(Type.Number()),
  count: Type.Integer(),
  nulls: Type.Integer(),
});
export const HistorySeries = Type.Union([
  strict({ signal: Type.String(), kind: Type.Literal('raw'), points: Type.Array(RawPoint) }),
  strict({
    signal: Type.String(),
    kind: Type.Literal('buckets'),
    bucketMs: Type.Number(),
    buckets: Type.Array(Bucket),
  }),
]);
export type HistorySeries = Static<typeof HistorySeries>;
export const HistoryReply = strict({
  from: Type.Number({ description: 'epoch ms' }),
  to: Type.Number({ description: 'epoch ms' }),
  series: Type.Array(HistorySeries),
});
export type HistoryReply = Static<typeof HistoryReply>;

export const AlarmSnapshot = strict({
  id: Type.String(),
  kind: Literals(['limit', 'communication', 'storage', 'site', 'line'] as const),
  instrument: Type.String(),
  signal: Nullable(Type.String()),
  description: Type.String(),
  priority: Literals(['low', 'medium', 'high', 'critical'] as const),
  condition: Literals([
    'NORMAL',
    'HIHI',
    'HIGH',
    'LOW',
    'LOLO',
    'COMM',
    'DISK_FULL',
    'CLOCK_OFFSET',
    'BUFFER_FULL',
    'RAISED',
  ] as const),
  severity: Literals(['major', 'minor', 'none'] as const),
  active: Type.Boolean(),
  acknowledged: Type.Boolean(),
  state: Literals(['normal', 'unack_active', 'ack_active', 'unack_rtn', 'shelved'] as const),
  value: Nullable(Type.Number()),
  activated_at: Nullable(Type.String()),
  cleared_at: Nullable(Type.String()),
  acked_at: Nullable(Type.String()),
  acked_by: Nullable(Type.String()),
  ack_comment: Nullable(Type.String()),
  shelved: Nullable(strict({ by: Type.String(), reason: Type.String(), until: Type.String() })),
  activations: Type.Integer(),
  suspend_runs: Type.Boolean(),
});
export type AlarmSnapshot = Static<typeof AlarmSnapshot>;

export const AlarmEvent = strict({
  time: Type.String(),
  alarm: Type.String(),
  event: Literals([
    'activated',
    'escalated',
    'cleared',
    'acknowledged',
    'shelved',
    'unshelved',
    'normal',
  ] as const),
  condition: Type.String(),
  severity: Type.String(),
  value: Nullable(Type.Number()),
  user: Nullable(Type.String()),
  comment: Nullable(Type.String()),
});
export type AlarmEvent = Static<typeof AlarmEvent>;

export const AlarmList = strict({
  alarms: Type.Array(AlarmSnapshot),
  rates: strict({
    floodActivations: Type.Integer(),
    flood: Type.Boolean(),
    chattering: Type.Array(Type.String()),
  }),
});
export type AlarmList = Static<typeof AlarmList>;

// ---- health, system, auth -------------------------------------------------------------------

const HealthStatus = Literals(['healthy', 'degraded', 'unhealthy'] as const);
export const HealthCheck = strict({
  name: Type.String(),
  status: HealthStatus,
  details: JsonObject('what the check measured'),
});
export type HealthCheck = Static<typeof HealthCheck>;
export const HealthReport = strict({
  status: HealthStatus,
  checked_at: Type.String(),
  checks: Type.Array(HealthCheck),
});
export type HealthReport = Static<typeof HealthReport>;
export const Liveness = strict({ status: Type.Literal('ok') });

export const SystemInfo = strict({
  name: Type.String(),
  versions: Type.Record(Type.String(), Type.String()),
  started_at: Type.String(),
  uptime_s: Type.Number(),
  pid: Type.Integer(),
  simulation: Type.Boolean(),
  auth: Literals(['none', 'required'] as const),
  storage: strict({ backend: Type.String(), output_dir: Type.String() }),
  memory: strict({ rss: Type.Number(), heap_used: Type.Number() }),
  instruments: Type.Array(strict({ id: Type.String(), type: Type.String(), state: InstrumentState })),
});
export type Liveness = Static<typeof Liveness>;
export type SystemInfo = Static<typeof SystemInfo>;

/**
 * A pino record: time, level and message, then the bindings of the logger that wrote it
 * (component, instrument, err, …), which are open by nature.
 */
export const LogRecord = JsonObject('a log record: `time`, `level`, `msg` and the logger’s own fields');
export type LogRecord = { time: string; level: string; msg: string; [field: string]: unknown };

/** The roles of src/server/auth/roles.ts, weakest first (spelled out: this file imports only core). */
export const Role = Literals(['viewer', 'maintenance', 'operator', 'supervisor', 'admin'] as const);
export type Role = Static<typeof Role>;
export const Principal = strict({
  kind: Literals(['local', 'key', 'user'] as const),
  name: Type.String(),
  role: Role,
  auth: Literals(['none', 'required'] as const),
});
export type Principal = Static<typeof Principal>;

export const Tokens = strict({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
  user: Type.String(),
  role: Role,
});
export type Tokens = Static<typeof Tokens>;
export const PasswordChanged = strict({ ok: Type.Literal(true), sessions_ended: Type.Literal(true) });
export const ApiKeyInfo = strict({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  created_at: Type.String(),
  last_used_at: Nullable(Type.String()),
  revoked_at: Nullable(Type.String()),
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;
export const NewApiKey = strict({
  id: Type.String(),
  key: Type.String({ description: 'shown once' }),
  role: Role,
});
export type NewApiKey = Static<typeof NewApiKey>;
export const UserInfo = strict({
  name: Type.String(),
  role: Role,
  created_at: Type.String(),
  disabled: Type.Integer({ description: '1 when disabled' }),
});
export type UserInfo = Static<typeof UserInfo>;
export const AuditEntry = strict({
  id: Type.Optional(Type.Integer()),
  time: Type.String(),
  actor: Type.String(),
  role: Type.String(),
  action: Type.String(),
  target: Nullable(Type.String()),
  details: Type.Unknown(),
  result: Literals(['ok', 'error', 'denied'] as const),
  error: Nullable(Type.String()),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** The effective configuration, secrets redacted: the shape of src/config/schema.ts. */
export const RedactedConfig = JsonObject('effective configuration (src/config/schema.ts), secrets redacted');

// ---- imaging ---------------------------------------------------------------------------------

const IsiSessionResult = strict({
  path: Type.String(),
  state: Literals(['done', 'stalled', 'stopped', 'camera_lost'] as const),
  reason: Nullable(Type.String()),
  cameraFrames: Type.Integer(),
  cameraFramesBeforeStart: Type.Integer(),
  cameraFramesAfterEnd: Type.Integer(),
  cameraFramesLost: Type.Integer({ description: 'gaps in the camera frame numbers' }),
  cameraFramesRefused: Type.Integer({ description: 'frames the session writer refused: its queue was full' }),
  stimulusFrames: Type.Integer(),
  presentationLatencyMs: Nullable(
    Type.Number({ description: "the display photodiode's measured latency, applied to the stimulus times" }),
  ),
  directions: Type.Record(
    Type.String(),
    strict({ cameraFrames: Type.Integer(), stimulusFrames: Type.Integer() }),
  ),
});

/** One imaging session (record mode) as the server tracks it. */
export const IsiSessionInfo = strict({
  id: Type.String(),
  camera: Type.String(),
  display: Type.String(),
  path: Type.String(),
  state: Literals(['recording', 'done', 'stalled', 'stopped', 'camera_lost', 'failed'] as const),
  started_at: Type.Number({ description: 'epoch ms' }),
  result: Nullable(IsiSessionResult),
  error: Nullable(Type.String()),
});
export type IsiSessionInfo = Static<typeof IsiSessionInfo>;

/** One retinotopy analysis (start_analysis) as the server tracks it. */
export const IsiAnalysisInfo = strict({
  id: Type.String({ description: 'the session path relative to the output directory' }),
  session: Type.String(),
  /** recording: online maps of a session still being recorded (layers readable, no areas yet). */
  state: Literals(['recording', 'accumulating', 'computing', 'done', 'failed'] as const),
  frames_done: Type.Integer({ minimum: 0 }),
  frames_total: Type.Integer({ minimum: 0 }),
  parameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean(), Type.String()])),
  areas: Type.Array(
    strict({
      label: Type.Integer({ minimum: 1 }),
      area_px: Type.Integer({ minimum: 0 }),
      sign: Type.Integer({ minimum: -1, maximum: 1 }),
      AU: Type.Number({ description: 'visual coverage, deg²' }),
      AS: Type.Number({ description: 'Jacobian area, deg²' }),
    }),
  ),
  error: Nullable(Type.String()),
});
export type IsiAnalysisInfo = Static<typeof IsiAnalysisInfo>;

/** One layer of an analysis: row-major float32 values, base64 (little-endian). */
export const IsiAnalysisLayer = strict({
  name: Type.String(),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  min: Type.Number(),
  max: Type.Number(),
  dtype: Type.Literal('float32'),
  data: Type.String({ contentEncoding: 'base64' }),
  /** The anatomical layer only: the snapshot taken under green light, or the mean frame when the session has none. */
  source: Type.Optional(Literals(['snapshot', 'mean_frame'] as const)),
});
export type IsiAnalysisLayer = Static<typeof IsiAnalysisLayer>;
/** A replay of one direction of a session (playback mode). */
export const PlaybackState = strict({
  id: Type.String(),
  session: Type.String(),
  direction: Literals(['LR', 'RL', 'TB', 'BT'] as const),
  fps: Type.Number({ exclusiveMinimum: 0, description: 'replay rate, frames per second' }),
  playing: Type.Boolean(),
  index: Type.Integer({ minimum: 0, description: 'the frame due now' }),
  frames: Type.Integer({
    minimum: 0,
    description: 'frames of the direction readable now (grows while recording)',
  }),
});

export const PlaybackFrame = strict({
  direction: Literals(['LR', 'RL', 'TB', 'BT'] as const),
  index: Type.Integer({ minimum: 0 }),
  frames: Type.Integer({ minimum: 0 }),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  timestamp_us: Type.Number({ description: 'exposure time, server clock, µs since the epoch' }),
  sequence: Type.Integer({ description: "the camera's frame number" }),
  pixels_base64: Type.String({ description: 'uint16 little-endian, row-major, height × width' }),
});

// ---- recipes ---------------------------------------------------------------------------------

/** The [process] map recipes are checked against (src/config/schema.ts, `process`). */
export const ProcessMap = strict({
  valves: Type.Record(
    Type.String(),
    strict({
      signal: Type.String(),
      feedback: Type.Optional(Type.String()),
      interlock: Type.Optional(Type.String()),
    }),
  ),
  gases: Type.Record(
    Type.String(),
    strict({ valve: Type.String(), flow_signal: Type.Optional(Type.String()) }),
  ),
  default_purge_gas: Nullable(Type.String()),
  parameters: Type.Record(Type.String(), Type.String()),
  sample_signals: Type.Array(Type.String()),
  sample_interval_ms: Type.Integer(),
  time_scale: Type.Number(),
});
export type ProcessMap = Static<typeof ProcessMap>;

const RecipeVersionProperties = {
  name: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  hash: Type.String({ description: 'sha256 of the recipe as stored' }),
  author: Type.String(),
  created_at: Type.Number({ description: 'seconds since the epoch' }),
};
/** A recipe version as listed: everything but the body. */
export const RecipeVersionInfo = strict({ ...RecipeVersionProperties, description: Nullable(Type.String()) });
export type RecipeVersionInfo = Static<typeof RecipeVersionInfo>;
/**
 * A recipe as validated: its steps and preconditions follow src/engine/recipes/recipe-model.ts
 * (a union of step kinds checked there), so only the outer fields are fixed here.
 */
const RecipeBodyJson = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(Type.String()),
    growth_per_cycle_nm: Type.Number(),
    preconditions: Type.Array(Type.Object({}, { additionalProperties: true, description: 'a precondition' })),
    steps: Type.Array(
      Type.Object(
        { type: Type.String() },
        { additionalProperties: true, description: 'a step: valve, purge, set, wait, hold, ramp, loop, …' },
      ),
    ),
  },
  { additionalProperties: false },
);
export const RecipeRecord = strict({
  ...RecipeVersionProperties,
  recipe: RecipeBodyJson,
  source: Nullable(Type.String({ description: 'the file as it was given (TOML or JSON)' })),
});
export type RecipeRecord = Static<typeof RecipeRecord>;
export const RecipeValidation = strict({ valid: Type.Literal(true), recipe: RecipeBodyJson });
export type RecipeValidation = Static<typeof RecipeValidation>;

// ---- production lines ------------------------------------------------------------------------

export const LineInfo = strict({
  id: Type.String(),
  ideal_cycle_ms: Type.Number(),
  target_per_hour: Type.Number(),
  shifts: Type.Array(
    strict({
      name: Type.String(),
      start: Type.String(),
      end: Type.String(),
      breaks: Type.Array(Type.String()),
    }),
  ),
  stations: Type.Array(strict({ id: Type.String(), defect_classes: Type.Array(Type.String()) })),
});
export const LineList = strict({ lines: Type.Array(LineInfo) });
export type LineList = Static<typeof LineList>;

const TimeInterval = strict({ start: Type.Number(), end: Type.Number() }, 'epoch ms');
const LineStateMs = strict({
  stopped: Type.Number(),
  running: Type.Number(),
  paused: Type.Number(),
  fault: Type.Number(),
});
const SampleSummary = strict({
  n: Type.Integer(),
  mean: Type.Number(),
  p50: Type.Number(),
  p95: Type.Number(),
  sigma: Type.Number(),
  min: Type.Number(),
  max: Type.Number(),
});
const LineKpis = strict({
  plannedBusyMs: Type.Number(),
  actualProductionMs: Type.Number(),
  stateMs: LineStateMs,
  produced: Type.Integer(),
  good: Type.Integer(),
  scrap: Type.Integer(),
  rework: Type.Integer(),
  pending: Type.Integer(),
  inspected: Type.Integer(),
  availability: Type.Number(),
  performance: Type.Number(),
  performanceRaw: Type.Number(),
  quality: Type.Number(),
  oee: Type.Number(),
  firstPassYield: Type.Number(),
  finalYield: Type.Number(),
  scrapRatio: Type.Number(),
  reworkRatio: Type.Number(),
  defectRate: Type.Number(),
  throughputPerHour: Type.Number(),
  targetPerHour: Type.Number(),
  throughputVsTarget: Type.Number(),
  cycleTime: Type.Optional(SampleSummary),
  downtime: Type.Array(strict({ reason: Type.String(), durationMs: Type.Number(), stops: Type.Integer() })),
});
const ParetoBar = strict({
  key: Type.String(),
  count: Type.Integer(),
  percent: Type.Number(),
  cumulativePercent: Type.Number(),
});
const WesternElectricRule = Type.Union([1, 2, 3, 4].map((r) => Type.Literal(r)) as TLiteral<1 | 2 | 3 | 4>[]);
const ChartPointProperties = {
  index: Type.Integer(),
  value: Type.Number(),
  violations: Type.Array(WesternElectricRule),
};
const ControlLimitProperties = {
  center: Type.Number(),
  sigma: Type.Number(),
  ucl: Type.Number(),
  lcl: Type.Number(),
};
const IndividualsChart = strict({
  ...ControlLimitProperties,
  mrBar: Type.Number(),
  mrUcl: Type.Number(),
  points: Type.Array(strict(ChartPointProperties)),
});
const XbarRChart = strict({
  ...ControlLimitProperties,
  subgroupSize: Type.Integer(),
  rBar: Type.Number(),
  rUcl: Type.Number(),
  rLcl: Type.Number(),
  points: Type.Array(strict({ ...ChartPointProperties, range: Type.Number() })),
});

/** A line's KPIs, Pareto and SPC over a window or a shift (recomputed from the store). */
export const LineReport = strict({
  title: Type.String(),
  lineId: Type.String(),
  window: TimeInterval,
  planned: Type.Array(TimeInterval),
  kpis: LineKpis,
  pareto: strict({
    total: Type.Integer(),
    byClass: Type.Array(ParetoBar),
    byStation: Type.Array(ParetoBar),
    byStationClass: Type.Array(ParetoBar),
  }),
  cycleTimeChart: Type.Optional(IndividualsChart),
  cycleTimeXbarR: Type.Optional(XbarRChart),
  measures: Type.Array(
    strict({
      name: Type.String(),
      chart: Type.Optional(IndividualsChart),
      capability: Nullable(strict({ cp: Nullable(Type.Number()), cpk: Nullable(Type.Number()) })),
    }),
  ),
  alarmCounts: Type.Array(strict({ code: Type.String(), count: Type.Integer() })),
  idealCycleMs: Type.Number(),
});
export type LineReport = Static<typeof LineReport>;

/** One defect found on a part, and its disposition. */
export const LineDefect = strict({
  id: Type.String(),
  inspectionId: Type.String(),
  partId: Type.String(),
  lineId: Type.String(),
  station: Type.String(),
  class: Type.String(),
  confidence: Type.Number(),
  box: Nullable(
    strict({
      x: Type.Number(),
      y: Type.Number(),
      width: Type.Optional(Type.Number()),
      height: Type.Optional(Type.Number()),
    }),
  ),
  disposition: Literals(['pending', 'accept', 'reject', 'rework'] as const),
  note: Nullable(Type.String()),
  dispositionBy: Nullable(Type.String()),
  dispositionAt: Nullable(Type.Number({ description: 'epoch ms' })),
  time: Type.Number({ description: 'epoch ms' }),
});
export type LineDefect = Static<typeof LineDefect>;
export const LineDefectList = strict({ defects: Type.Array(LineDefect) });
export type LineDefectList = Static<typeof LineDefectList>;

/** What a line control command or PLC write wrote. */
export const LineWritten = strict({
  line: Type.String(),
  command: Type.String(),
  tag: Type.String(),
  value: Type.Union([Type.Boolean(), Type.Number()]),
});
export type LineWritten = Static<typeof LineWritten>;

/** The line now, as its tracking path sees it, and the commands it accepts with their least role. */
export const LineStatus = strict({
  line: Type.String(),
  state: Nullable(Literals(['stopped', 'running', 'paused', 'fault'] as const)),
  parts: Type.Integer({ minimum: 0 }),
  recent_parts: Type.Integer({ minimum: 0 }),
  defect_rate: Type.Number({ minimum: 0, maximum: 1 }),
  plc_connected: Nullable(Type.Boolean()),
  vision_connected: Type.Record(Type.String(), Nullable(Type.Boolean())),
  queued_records: Type.Integer({ minimum: 0 }),
  commands: Type.Array(Type.String()),
  command_roles: Type.Record(Type.String(), Type.String()),
});
export type LineStatus = Static<typeof LineStatus>;
