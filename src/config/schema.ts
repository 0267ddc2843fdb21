import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { LineEntry } from './line-schema.ts';

/**
 * The whole configuration, one schema. Every section has defaults so an empty file is valid.
 * The lab guide's sections ([application], [actors], [[instruments]], [storage]) load as
 * that guide writes them; the rest are Benchtop's own. Secrets are marked `secret: true`
 * so every printer of the effective config redacts them.
 */
const section = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });

/**
 * Instruments one Benchtop runs by default. Measured on 2 cores with every instrument simulated
 * in-process and polled each second: 3000 start in about 1 s with the event loop never held
 * more than 50 ms; 10 000 need 30 000 file descriptors and most of a core just to poll.
 */
export const MAX_INSTRUMENTS_DEFAULT = 2000;

export const LogLevel = Type.Union(
  ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => Type.Literal(l)),
  { default: 'info' },
);

export const InstrumentEntry = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_-]*$',
      description: 'Unique id, used in API paths and signal names',
    }),
    type: Type.String({ description: 'Instrument type, e.g. ESP300' }),
    enabled: Type.Boolean({ default: true }),
    poll_interval_ms: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'How often monitored signals are read and published (0: never)',
    }),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);

const SIGNAL_PATH = '^[A-Za-z][A-Za-z0-9_-]*\\.[A-Za-z0-9_.]+$';
/** A `[[logging.groups]] points` glob (src/config/signal-glob.ts): a signal path that may have `*`s. */
const SIGNAL_GLOB = '^[A-Za-z0-9_.*-]+$';

export const ParameterLogGroup = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }),
    signals: Type.Array(Type.String({ pattern: SIGNAL_PATH }), {
      default: [],
      description: 'instrument.signal paths, each logged (after loading: these and what points selects)',
    }),
    points: Type.Optional(
      Type.Union(
        [
          Type.String({ pattern: SIGNAL_GLOB }),
          Type.Array(Type.String({ pattern: SIGNAL_GLOB }), { minItems: 1 }),
        ],
        {
          description:
            'Glob(s) over instrument.signal, e.g. "plc.*": every readable numeric or boolean signal that matches (* is any run of characters, dots included)',
        },
      ),
    ),
    interval_s: Type.Number({ exclusiveMinimum: 0, default: 1 }),
  },
  { additionalProperties: false },
);

export const AlarmEntry = Type.Object(
  {
    id: Type.Optional(
      Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.:-]*$', description: 'Defaults to the signal path' }),
    ),
    signal: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_-]*\\.[A-Za-z0-9_.]+$',
      description: 'instrument.signal to watch',
    }),
    description: Type.Optional(Type.String()),
    hihi: Type.Optional(Type.Number({ description: 'Major alarm at or above' })),
    high: Type.Optional(Type.Number({ description: 'Minor alarm at or above' })),
    low: Type.Optional(Type.Number({ description: 'Minor alarm at or below' })),
    lolo: Type.Optional(Type.Number({ description: 'Major alarm at or below' })),
    hysteresis: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Deadband a value must cross back before the alarm clears',
    }),
    on_delay_s: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Condition must persist this long before the alarm activates',
    }),
    off_delay_s: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Value must stay normal this long before the alarm clears',
    }),
    priority: Type.Union(
      [Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')],
      { default: 'medium' },
    ),
    suspend_runs: Type.Boolean({
      default: false,
      description: 'While active, running plans suspend; they resume when it clears',
    }),
    max_shelve_s: Type.Number({
      exclusiveMinimum: 0,
      default: 28_800,
      description: 'Longest an operator may shelve it',
    }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    application: section(
      {
        name: Type.String({ default: 'benchtop' }),
        log_level: LogLevel,
      },
      'Name and log level (as in the lab deployment guide)',
    ),
    actors: section(
      {
        default_mailbox_capacity: Type.Integer({ exclusiveMinimum: 0, default: 100 }),
        spawn_timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 5000 }),
        shutdown_timeout_ms: Type.Integer({ exclusiveMinimum: 0, default: 5000 }),
        max_restarts: Type.Integer({
          minimum: 0,
          default: 10,
          description: 'Restarts allowed in the window before faulted',
        }),
        restart_window_ms: Type.Integer({ exclusiveMinimum: 0, default: 300_000 }),
        restart_backoff_initial_ms: Type.Integer({ exclusiveMinimum: 0, default: 500 }),
        restart_backoff_max_ms: Type.Integer({ exclusiveMinimum: 0, default: 30_000 }),
        restart_reset_after_ms: Type.Integer({
          exclusiveMinimum: 0,
          default: 5_000,
          description:
            'An instrument ready this long forgets its earlier restarts: a link that keeps coming back is not a crash loop',
        }),
        faulted_retry_ms: Type.Integer({
          minimum: 0,
          default: 300_000,
          description:
            'How often a faulted instrument is tried again, so a repaired device is picked up (0: never)',
        }),
        max_instruments: Type.Integer({
          exclusiveMinimum: 0,
          default: MAX_INSTRUMENTS_DEFAULT,
          description:
            'Instruments allowed in [[instruments]]: each is an actor with its own link, polls and, when simulating, a simulator socket',
        }),
      },
      'Actor runtime: mailboxes, start/stop budgets, restart policy',
    ),
    engine: section(
      {
        max_points: Type.Integer({
          exclusiveMinimum: 0,
          default: 1_000_000,
          description: 'Most points (events) one run may plan; a larger request is refused at submit',
        }),
        max_duration_s: Type.Number({
          exclusiveMinimum: 0,
          default: 604_800,
          description: 'Longest a run may be planned to take (its estimate), refused at submit beyond',
        }),
        on_instrument_unavailable: Type.Union([Type.Literal('suspend'), Type.Literal('fail')], {
          default: 'suspend',
          description: 'An instrument lost mid-run suspends the run until it is ready again, or fails it',
        }),
        suspend_timeout_s: Type.Number({
          exclusiveMinimum: 0,
          default: 120,
          description: 'A run suspended for an unavailable instrument fails after this long',
        }),
      },
      'Run engine: plan size limits and what a run does when an instrument drops out',
    ),
    process: section(
      {
        valves: Type.Record(
          Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }),
          Type.Object(
            {
              signal: Type.String({
                pattern: SIGNAL_PATH,
                description: 'The valve command, e.g. plc.valve1_tma',
              }),
              feedback: Type.Optional(
                Type.String({
                  pattern: SIGNAL_PATH,
                  description: 'Position feedback: a valve step fails when it does not confirm opening',
                }),
              ),
              interlock: Type.Optional(
                Type.String({
                  pattern: SIGNAL_PATH,
                  description: 'Read when the valve did not open, to say why (e.g. plc.precursor_interlock)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          { default: {}, description: 'Recipe valve names to PLC signals: recipes never name points' },
        ),
        gases: Type.Record(
          Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }),
          Type.Object(
            {
              valve: Type.String({ description: 'The [process.valves] entry a purge with this gas opens' }),
              flow_signal: Type.Optional(
                Type.String({ pattern: SIGNAL_PATH, description: 'Its MFC setpoint (flow_sccm)' }),
              ),
            },
            { additionalProperties: false },
          ),
          { default: {}, description: 'Purge gases' },
        ),
        default_purge_gas: Type.Optional(Type.String({ description: 'The gas of a purge that names none' })),
        parameters: Type.Record(
          Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }),
          Type.String({ pattern: SIGNAL_PATH }),
          {
            default: {},
            description: 'Names recipes may use for signals in set, wait and preconditions',
          },
        ),
        sample_signals: Type.Array(Type.String({ pattern: SIGNAL_PATH }), {
          default: [],
          description: 'Sampled into the run (stream "process") while a recipe runs',
        }),
        sample_interval_ms: Type.Integer({
          minimum: 10,
          default: 100,
          description: 'Process sampling during a recipe',
        }),
        feedback_timeout_ms: Type.Integer({
          exclusiveMinimum: 0,
          default: 500,
          description: 'How long a valve has to confirm it opened',
        }),
        time_scale: Type.Number({
          exclusiveMinimum: 0,
          maximum: 1,
          default: 1,
          description:
            'Purges, holds and ramps take this fraction of their time (demos, tests); pulses never shrink',
        }),
        recipes: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Recipe files (relative to this file) stored at start as a new version when changed',
        }),
      },
      'The process tool: how recipes map to the PLC',
    ),
    instruments: Type.Array(InstrumentEntry, { default: [] }),
    alarms: Type.Array(AlarmEntry, {
      default: [],
      description: 'EPICS-style limit alarms with an ISA-18.2 life cycle',
    }),
    lines: Type.Array(LineEntry, {
      default: [],
      description: 'Production lines: part tracking, inspection, KPIs (src/production)',
    }),
    storage: section(
      {
        default_backend: Type.Union([Type.Literal('hdf5'), Type.Literal('arrow')], { default: 'hdf5' }),
        output_dir: Type.String({ default: './data' }),
        compression_level: Type.Integer({ minimum: 0, maximum: 9, default: 6 }),
        auto_flush_interval_secs: Type.Number({ exclusiveMinimum: 0, default: 5 }),
        camera_compression: Type.Union(
          [
            Type.Literal('none'),
            Type.Literal('gzip'),
            Type.Literal('deflate'),
            Type.Literal('lz4'),
            Type.Literal('bitshuffle-lz4'),
            Type.Literal('zstd'),
          ],
          {
            default: 'none',
            description:
              'Camera frames: none (default), gzip (HDF5 deflate on the writer thread, slow), or lossless codecs compressed on worker threads into a frames file per camera: deflate (shuffle + deflate, every HDF5 reads it), lz4 (shuffle + LZ4 filter 32004), bitshuffle-lz4 (32008), zstd (shuffle + 32015)',
          },
        ),
        camera_compression_level: Type.Integer({
          minimum: 0,
          maximum: 22,
          default: 1,
          description:
            'Level of camera_compression: deflate 1-9, zstd 1-22, lz4 0 (every block) or 1 (skips blocks LZ4 barely shrinks)',
        }),
        queue_capacity: Type.Integer({
          exclusiveMinimum: 0,
          default: 256,
          description: 'Writer queue bound (messages)',
        }),
        writer_nice: Type.Integer({
          minimum: -20,
          maximum: 19,
          default: -10,
          description:
            'Nice value of the HDF5 writer thread (Linux, per thread; it mostly waits on the disk), so camera frames keep up when the CPU is contended; the frame compressor threads keep the process priority, so a compressor that cannot keep up never starves control. Below 0 needs root or CAP_SYS_NICE (deploy/benchtop.service grants it); otherwise the thread keeps the process nice value and the run writer stats say so',
        }),
        direct_frame_writes: Type.Boolean({
          default: true,
          description:
            'HDF5 camera frames bypass the page cache (O_DIRECT) where the filesystem allows; false writes them buffered',
        }),
        postgres: Type.Optional(
          Type.Object(
            {
              url: Type.String({ minLength: 1, secret: true }),
              timescaledb: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], {
                default: 'auto',
              }),
              schema: Type.Optional(
                Type.String({
                  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
                  description:
                    "Schema of the parameter log's table (created if missing); default: the connection's search_path",
                }),
              ),
              table: Type.Optional(
                Type.String({
                  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
                  description: 'Table of the parameter log (default parameter_log)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
      },
      'Where and how runs and parameter logs are written',
    ),
    server: section(
      {
        bind_address: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        cors_origins: Type.Array(Type.String(), { default: [] }),
        tls: Type.Optional(
          Type.Object(
            { cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1, secret: true }) },
            { additionalProperties: false },
          ),
        ),
        body_limit_bytes: Type.Integer({ exclusiveMinimum: 0, default: 1_048_576 }),
        health_cache_s: Type.Number({
          minimum: 0,
          default: 2,
          description: 'How long /health results are reused',
        }),
        rate_limit_per_minute: Type.Integer({
          minimum: 0,
          default: 600,
          description: 'Per key or IP; 0 disables',
        }),
      },
      'HTTP/WebSocket server',
    ),
    security: section(
      {
        auth: Type.Union([Type.Literal('none'), Type.Literal('required')], {
          default: 'none',
          description: 'none is only allowed on a loopback bind address',
        }),
        jwt_secret: Type.Optional(Type.String({ minLength: 32, secret: true })),
        jwt_expiry_s: Type.Integer({ exclusiveMinimum: 0, default: 900 }),
        refresh_expiry_s: Type.Integer({ exclusiveMinimum: 0, default: 604_800 }),
        login_attempts_per_minute: Type.Integer({
          minimum: 1,
          default: 10,
          description:
            'Per address on login, refresh and password change (when rate limiting is on); failed logins also slow down per account',
        }),
      },
      'Authentication',
    ),
    simulation: section(
      {
        enabled: Type.Boolean({ default: false, description: 'Every instrument talks to its simulator' }),
        bind_address: Type.String({ default: '127.0.0.1' }),
        ports: Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 65535 }), {
          default: {},
          description: 'Simulator TCP port per instrument id (0 or absent: any free port)',
        }),
        seed: Type.Integer({ default: 1, description: 'Noise seed, so simulated data is repeatable' }),
        beam_waist_mm: Type.Number({ exclusiveMinimum: 0, default: 0.5 }),
        knife_edge_mm: Type.Number({ default: 0, description: 'Knife-edge position on stage axis 1' }),
        warmup_s: Type.Number({ minimum: 0, default: 20, description: 'Simulated laser warm-up time' }),
        monitor_photodiode_latency_ms: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1000,
            description:
              "A photodiode on the stimulus monitor's corner patch, read by the DMM: the display's presentation latency it sees (absent: not fitted)",
          }),
        ),
        monitor_photodiode_volts: Type.Number({
          default: 1,
          description: 'What a bright patch adds to the DMM reading, V',
        }),
      },
      'The virtual lab',
    ),
    logging: section(
      {
        format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
          default: 'auto',
          description: 'auto: pretty on a terminal, JSON lines otherwise',
        }),
        file: Type.Optional(
          Type.String({ minLength: 1, description: 'Also append JSON lines to this file' }),
        ),
        groups: Type.Array(ParameterLogGroup, { default: [], description: 'Continuous parameter logging' }),
      },
      'Logs and continuous parameter logging',
    ),
    metrics: section(
      {
        enabled: Type.Boolean({ default: true }),
        path: Type.String({ default: '/metrics' }),
      },
      'Prometheus metrics',
    ),
    backup: section(
      {
        dir: Type.String({ default: './backups', description: 'Where backup archives are written' }),
        schedule: Type.Optional(
          Type.String({
            minLength: 9,
            description: 'Cron expression for automatic backups, e.g. "0 3 * * *"',
          }),
        ),
        keep_count: Type.Integer({
          minimum: 1,
          default: 7,
          description: 'Archives kept; older ones are deleted',
        }),
        keep_days: Type.Number({
          minimum: 0,
          default: 30,
          description: 'Archives older than this are deleted (0: by count only)',
        }),
        include_data: Type.Boolean({
          default: true,
          description: 'Include run files (HDF5/Arrow), not only databases and config',
        }),
      },
      'Backups (benchtop backup create|list|restore)',
    ),
    retention: section(
      {
        parameter_log_days: Type.Number({ minimum: 0, default: 90, description: '0 keeps forever' }),
        run_data_days: Type.Number({ minimum: 0, default: 0, description: '0 keeps forever' }),
        audit_days: Type.Number({ minimum: 0, default: 365 }),
        production_days: Type.Number({
          minimum: 0,
          default: 365,
          description:
            'Parts, defects, line events and the PostgreSQL copy of the alarm history; 0 keeps forever',
        }),
      },
      'How long data is kept',
    ),
    agent: section(
      {
        id: Type.Optional(
          Type.String({
            minLength: 1,
            description: "This instrument host's agent id (benchtop agent), unique on the site",
          }),
        ),
        site: Type.String({
          default: 'lab',
          minLength: 1,
          description: 'The site: the second token of telemetry subjects',
        }),
        host: Type.Optional(
          Type.String({ description: 'Host name shown beside its instruments (default: the OS host name)' }),
        ),
        heartbeat_ms: Type.Integer({ minimum: 100, default: 2_000, description: 'Heartbeat period' }),
        stale_after_ms: Type.Integer({
          minimum: 200,
          default: 6_000,
          description:
            'An agent without a heartbeat this long is shown stale and its instruments unavailable',
        }),
        log_buffer_max_bytes: Type.Integer({
          minimum: 4096,
          default: 256 * 1024 ** 2,
          description:
            "The parameter log waits on this host's disk (<output_dir>/log-outbox.sqlite) until the bus takes it; at most this many bytes",
        }),
        log_buffer_overflow: Type.Union([Type.Literal('drop_oldest'), Type.Literal('drop_newest')], {
          default: 'drop_oldest',
          description:
            'When the buffer is full: drop the oldest samples or refuse new ones (counted and logged as an error either way)',
        }),
        reading_batch_ms: Type.Integer({
          minimum: 0,
          default: 10,
          description:
            "A signal's live readings go out at most this often: one not sent within this time goes at once, faster ones wait and share a message",
        }),
      },
      'Several machines: this host as a Benchtop agent (benchtop agent / benchtop hub)',
    ),
    bus: section(
      {
        url: Type.String({
          default: 'nats://127.0.0.1:4222',
          description: 'NATS server(s), comma-separated',
        }),
        user: Type.Optional(Type.String()),
        password: Type.Optional(
          Type.String({ secret: true, description: 'Prefer environment interpolation to a literal' }),
        ),
        nkey_seed_file: Type.Optional(
          Type.String({ description: 'File holding an NKey user seed (SU…); not with creds_file' }),
        ),
        creds_file: Type.Optional(
          Type.String({
            description: 'A .creds file (user JWT + NKey seed, as nsc writes it); not with nkey_seed_file',
          }),
        ),
        tls_ca_file: Type.Optional(
          Type.String({
            description:
              "PEM file of the CA that signed the NATS server's certificate (default: the system's CAs); setting it, a client certificate or a tls:// url makes TLS required",
          }),
        ),
        tls_cert_file: Type.Optional(
          Type.String({
            description: 'PEM client certificate, for a server that verifies clients; with tls_key_file',
          }),
        ),
        tls_key_file: Type.Optional(Type.String({ description: "tls_cert_file's private key (PEM)" })),
        request_timeout_ms: Type.Integer({
          minimum: 50,
          default: 5_000,
          description: 'A remote command unanswered this long means the agent is hung',
        }),
        lease_ttl_ms: Type.Integer({
          minimum: 300,
          default: 15_000,
          description:
            "A control lease on an instrument (a hub's, or an operator's `benchtop agent lease take` without --ttl) lapses this long after its last renewal (renewed every third of it)",
        }),
        log_stream_max_age_days: Type.Number({
          exclusiveMinimum: 0,
          default: 7,
          description:
            'The JetStream LOG stream is a transit buffer (PostgreSQL is the record): kept this long at most',
        }),
        log_stream_max_bytes: Type.Integer({ minimum: 1024 ** 2, default: 1024 ** 3 }),
        doc_stream_max_age_days: Type.Number({
          exclusiveMinimum: 0,
          default: 30,
          description:
            "The JetStream DOCS stream (every run's documents, for the hubs' stores and any reader): kept this long",
        }),
        doc_stream_max_bytes: Type.Integer({ minimum: 1024 ** 2, default: 10 * 1024 ** 3 }),
        clock_offset_alarm_ms: Type.Number({
          minimum: 0,
          default: 100,
          description: "An agent whose clock differs from the hub's by more than this raises an alarm",
        }),
      },
      'Several machines: the NATS JetStream bus between agents and hubs',
    ),
  },
  { additionalProperties: false },
);

export type BenchtopConfig = Static<typeof ConfigSchema>;
export type InstrumentEntry = Static<typeof InstrumentEntry>;
export type AlarmEntry = Static<typeof AlarmEntry>;
export type ProcessConfig = BenchtopConfig['process'];
