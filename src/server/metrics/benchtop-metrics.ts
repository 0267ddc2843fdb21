import { statfs } from 'node:fs/promises';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ActorStates } from '../../core/actor-state.ts';
import type { EventBus } from '../../core/bus.ts';
import { cameraCapability } from '../../core/capabilities.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';

export interface StorageSources {
  runWriter: () => { format: string; stats(): { queued: number; capacity: number } } | null;
  parameterLog: () => { queueUsage(): number; stats(): { group: string; dropped: number }[] } | null;
  /** With `[storage.postgres]`: the queue copying alarm events to PostgreSQL. */
  alarmHistory?: () => { stats: { queuedRecords: number; capacity: number; rejectedBatches: number } } | null;
}

export interface MetricsSources {
  bus: EventBus<BenchtopEvents>;
  instruments: InstrumentDirectory;
  /** Directory whose filesystem's free space is reported. */
  dataDir: string;
}

/**
 * Every Prometheus metric Benchtop exports, with real values: counters fed from the bus,
 * gauges computed at scrape time from the live objects. Names are prefixed `benchtop_`.
 */
export class BenchtopMetrics {
  readonly registry = new Registry();
  readonly dataPoints: Counter;
  readonly errors: Counter<'kind'>;
  readonly commandDuration: Histogram<'instrument' | 'op' | 'outcome'>;
  readonly processingDuration: Histogram<'stage'>;
  readonly storageQueueUsage: Gauge<'writer'>;
  readonly storageDropped: Counter<'writer'>;
  readonly parameterLogInterval: Gauge<'group'>;
  readonly parameterLogLateness: Histogram<'group'>;
  readonly parameterLogLatenessLast: Gauge<'group'>;
  readonly parameterLogInvalid: Counter<'group'>;
  readonly runs: Counter<'status'>;
  readonly websocketClients: Gauge;
  readonly websocketDropped: Counter<'reason'>;
  readonly modbusRequestDuration: Histogram<'instrument' | 'fc'>;
  readonly modbusErrors: Counter<'instrument' | 'exception'>;

  constructor(sources: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'benchtop_' });
    this.dataPoints = new Counter({
      name: 'benchtop_data_points_total',
      help: 'Readings published by instruments',
      registers: [r],
    });
    this.errors = new Counter({
      name: 'benchtop_errors_total',
      help: 'Errors by kind',
      labelNames: ['kind'],
      registers: [r],
    });
    this.commandDuration = new Histogram({
      name: 'benchtop_command_duration_seconds',
      help: 'Instrument command latency (read, write, call) as seen by callers',
      labelNames: ['instrument', 'op', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.processingDuration = new Histogram({
      name: 'benchtop_processing_duration_seconds',
      help: 'Duration of data processing operations (fan-out, writer batches, parameter-log ticks)',
      labelNames: ['stage'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [r],
    });
    const metrics = this;
    this.storageQueueUsage = new Gauge({
      name: 'benchtop_storage_queue_usage_ratio',
      help: 'Writer queue fill (0-1)',
      labelNames: ['writer'],
      registers: [r],
      collect() {
        metrics.collectStorage();
      },
    });
    this.storageDropped = new Counter({
      name: 'benchtop_storage_dropped_total',
      help: 'Documents, frames or records a writer refused because its queue was full (alarm_history: alarm events not copied to PostgreSQL)',
      labelNames: ['writer'],
      registers: [r],
    });
    this.parameterLogInterval = new Gauge({
      name: 'benchtop_parameter_log_interval_seconds',
      help: 'Actual interval between the last two parameter-log ticks',
      labelNames: ['group'],
      registers: [r],
    });
    this.parameterLogLateness = new Histogram({
      name: 'benchtop_parameter_log_lateness_seconds',
      help: 'How late each parameter-log tick started after its deadline',
      labelNames: ['group'],
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 3, 10],
      registers: [r],
    });
    this.parameterLogLatenessLast = new Gauge({
      name: 'benchtop_parameter_log_lateness_last_seconds',
      help: 'Lateness of the latest parameter-log tick',
      labelNames: ['group'],
      registers: [r],
    });
    this.parameterLogInvalid = new Counter({
      name: 'benchtop_parameter_log_invalid_samples_total',
      help: 'Parameter-log samples stored as null because the signal could not be read',
      labelNames: ['group'],
      registers: [r],
    });
    this.runs = new Counter({
      name: 'benchtop_runs_total',
      help: 'Finished runs by exit status',
      labelNames: ['status'],
      registers: [r],
    });
    this.websocketClients = new Gauge({
      name: 'benchtop_websocket_clients',
      help: 'Connected WebSocket clients',
      registers: [r],
    });
    this.websocketDropped = new Counter({
      name: 'benchtop_websocket_dropped_total',
      help: 'Messages not sent to slow WebSocket clients, and clients disconnected for being slow',
      labelNames: ['reason'],
      registers: [r],
    });

    const { instruments } = sources;
    new Gauge({
      name: 'benchtop_active_instruments',
      help: 'Instruments that are ready',
      registers: [r],
      collect() {
        this.set(instruments.list().filter((i) => i.state === 'ready').length);
      },
    });
    new Gauge({
      name: 'benchtop_instrument_connected',
      help: '1 when the instrument is connected and ready',
      labelNames: ['instrument', 'type'],
      registers: [r],
      collect() {
        this.reset();
        for (const i of instruments.list())
          this.set({ instrument: i.id, type: i.type }, i.state === 'ready' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'benchtop_camera_frames_dropped',
      help: "Frames a camera lost since its acquisition started (its camera capability's frames_dropped signal, as last read)",
      labelNames: ['instrument'],
      registers: [r],
      collect() {
        this.reset();
        for (const i of instruments.list()) {
          const signal = cameraCapability(i.describe().capabilities)?.signals.frames_dropped;
          const reading = signal ? i.lastReadings().find((x) => x.signal === signal) : undefined;
          if (typeof reading?.value === 'number') this.set({ instrument: i.id }, reading.value);
        }
      },
    });
    new Gauge({
      name: 'benchtop_instrument_state',
      help: 'Instrument actor state (1 for the current state)',
      labelNames: ['instrument', 'state'],
      registers: [r],
      collect() {
        this.reset();
        for (const i of instruments.list())
          for (const s of ActorStates) this.set({ instrument: i.id, state: s }, i.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'benchtop_actor_mailbox_depth',
      help: 'Messages waiting in each instrument actor mailbox',
      labelNames: ['actor'],
      registers: [r],
      collect() {
        this.reset();
        for (const i of instruments.list()) this.set({ actor: i.id }, i.mailboxDepth);
      },
    });
    const dataDir = sources.dataDir;
    new Gauge({
      name: 'benchtop_disk_free_bytes',
      help: 'Free space on the data directory filesystem',
      registers: [r],
      async collect() {
        const s = await statfs(dataDir).catch(() => null);
        if (s) this.set(Number(s.bavail) * Number(s.bsize));
      },
    });
    new Gauge({
      name: 'benchtop_disk_total_bytes',
      help: 'Size of the data directory filesystem',
      registers: [r],
      async collect() {
        const s = await statfs(dataDir).catch(() => null);
        if (s) this.set(Number(s.blocks) * Number(s.bsize));
      },
    });

    this.modbusRequestDuration = new Histogram({
      name: 'benchtop_modbus_request_duration_seconds',
      help: 'Modbus request round trips of PLC drivers, by function code',
      labelNames: ['instrument', 'fc'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [r],
    });
    this.modbusErrors = new Counter({
      name: 'benchtop_modbus_errors_total',
      help: 'Modbus requests that failed, by exception code (01 illegal function, 02 illegal address, 03 illegal value, 04 device failure, 06 busy) or link (timeout, connection lost)',
      labelNames: ['instrument', 'exception'],
      registers: [r],
    });
    sources.bus.on('modbus.request', (m) => {
      this.modbusRequestDuration.observe({ instrument: m.instrument, fc: String(m.fc) }, m.seconds);
      if (m.exception !== null) {
        const code = m.exception === 'link' ? 'link' : m.exception.toString(16).padStart(2, '0');
        this.modbusErrors.inc({ instrument: m.instrument, exception: code });
      }
    });
    sources.bus.on('instrument.reading', () => this.dataPoints.inc());
    sources.bus.on('instrument.command', (c) =>
      this.commandDuration.observe({ instrument: c.instrument, op: c.op, outcome: c.outcome }, c.seconds),
    );
    sources.bus.on('actor.state', (c) => {
      if (c.state === 'failed') this.errors.inc({ kind: c.error?.code ?? 'actor_failed' });
    });
    sources.bus.on('bus.handler_error', () => this.errors.inc({ kind: 'bus_handler' }));
    sources.bus.on('run.document', ({ document }) => {
      if (document.name === 'stop') this.runs.inc({ status: document.doc.exit_status });
    });
    // A writer_dropped warning carries the run's running total: count only what is new.
    const droppedSoFar = new Map<string, number>();
    sources.bus.on('run.warning', (w) => {
      if (w.kind === 'writer_dropped') {
        const total = Number(w.details.dropped ?? 0);
        const before = droppedSoFar.get(w.uid) ?? 0;
        if (total > before) this.storageDropped.inc({ writer: 'run' }, total - before);
        droppedSoFar.set(w.uid, Math.max(total, before));
      }
      this.errors.inc({ kind: w.kind });
    });
    sources.bus.on('run.state', (s) => {
      if (s.state === 'finished' || s.state === 'cancelled') droppedSoFar.delete(s.uid);
    });
  }

  private storageSources: StorageSources | null = null;
  private readonly parameterLogDropped = new Map<string, number>();
  private alarmHistoryRejected = 0;

  /** Storage queues, read at scrape time: the current run's writer and the parameter log's store queue. */
  attachStorage(sources: StorageSources): void {
    this.storageSources = sources;
    new Gauge({
      name: 'benchtop_storage_writer_queued',
      help: 'Messages waiting in the current run writer queue',
      labelNames: ['writer'],
      registers: [this.registry],
      collect() {
        this.reset();
        const writer = sources.runWriter();
        if (writer) this.set({ writer: writer.format }, writer.stats().queued);
      },
    });
  }

  private collectStorage(): void {
    const sources = this.storageSources;
    this.storageQueueUsage.reset();
    if (!sources) return;
    const writer = sources.runWriter();
    if (writer) {
      const s = writer.stats();
      this.storageQueueUsage.set({ writer: writer.format }, s.capacity > 0 ? s.queued / s.capacity : 0);
    }
    const history = sources.alarmHistory?.();
    if (history) {
      const s = history.stats;
      this.storageQueueUsage.set(
        { writer: 'alarm_history' },
        s.capacity > 0 ? s.queuedRecords / s.capacity : 0,
      );
      if (s.rejectedBatches > this.alarmHistoryRejected)
        this.storageDropped.inc({ writer: 'alarm_history' }, s.rejectedBatches - this.alarmHistoryRejected);
      this.alarmHistoryRejected = Math.max(this.alarmHistoryRejected, s.rejectedBatches);
    }
    const log = sources.parameterLog();
    if (!log) return;
    this.storageQueueUsage.set({ writer: 'parameter_log' }, log.queueUsage());
    // The logger keeps totals; the counter moves by what is new since the last scrape.
    for (const g of log.stats()) {
      const before = this.parameterLogDropped.get(g.group) ?? 0;
      if (g.dropped > before) this.storageDropped.inc({ writer: 'parameter_log' }, g.dropped - before);
      this.parameterLogDropped.set(g.group, Math.max(before, g.dropped));
    }
  }

  /**
   * One parameter-log tick. The invalid-sample counter moves by 0 too, so a group's series
   * exists (and reads 0) before anything fails.
   */
  parameterLogTick(tick: {
    group: string;
    latenessMs: number;
    intervalMs: number | null;
    invalid: number;
  }): void {
    const labels = { group: tick.group };
    this.parameterLogLateness.observe(labels, tick.latenessMs / 1000);
    this.parameterLogLatenessLast.set(labels, tick.latenessMs / 1000);
    if (tick.intervalMs !== null) this.parameterLogInterval.set(labels, tick.intervalMs / 1000);
    this.parameterLogInvalid.inc(labels, tick.invalid);
  }

  /** Alarm gauges read the live service at scrape time. */
  attachAlarms(alarms: {
    list(): { active: boolean; acknowledged: boolean; priority: string; shelved: unknown }[];
    rates(): { floodActivations: number; flood: boolean; chattering: string[] };
  }): void {
    const r = this.registry;
    new Gauge({
      name: 'benchtop_alarms_active',
      help: 'Active alarms by priority (shelved ones excluded)',
      labelNames: ['priority'],
      registers: [r],
      collect() {
        this.reset();
        for (const p of ['low', 'medium', 'high', 'critical'])
          this.set(
            { priority: p },
            alarms.list().filter((a) => a.active && !a.shelved && a.priority === p).length,
          );
      },
    });
    new Gauge({
      name: 'benchtop_alarms_unacknowledged',
      help: 'Alarms not yet acknowledged (active or returned to normal)',
      registers: [r],
      collect() {
        this.set(alarms.list().filter((a) => !a.acknowledged).length);
      },
    });
    new Gauge({
      name: 'benchtop_alarm_activations_10m',
      help: 'Alarm activations in the last 10 minutes (ISA-18.2 flood above 10)',
      registers: [r],
      collect() {
        this.set(alarms.rates().floodActivations);
      },
    });
    new Gauge({
      name: 'benchtop_alarm_flood',
      help: '1 while more than 10 alarms activated in 10 minutes',
      registers: [r],
      collect() {
        this.set(alarms.rates().flood ? 1 : 0);
      },
    });
    new Gauge({
      name: 'benchtop_alarms_chattering',
      help: 'Alarms that activated 3 or more times in the last minute',
      registers: [r],
      collect() {
        this.set(alarms.rates().chattering.length);
      },
    });
  }

  /** Production lines: defect rate of the last 100 parts, PLC and camera links, store backlog. */
  attachLines(
    lines: readonly {
      health(): {
        lineId: string;
        defectRate: number;
        plcConnected: boolean | null;
        visionConnected: Record<string, boolean | null>;
        parts: number;
        queuedRecords: number;
      };
    }[],
  ): void {
    const r = this.registry;
    const each = (fn: (h: ReturnType<(typeof lines)[number]['health']>) => void) => {
      for (const line of lines) fn(line.health());
    };
    new Gauge({
      name: 'benchtop_line_defect_rate',
      help: 'Failed or reworked parts among the last 100 judged (0..1)',
      labelNames: ['line'],
      registers: [r],
      collect() {
        this.reset();
        each((h) => this.set({ line: h.lineId }, h.defectRate));
      },
    });
    new Gauge({
      name: 'benchtop_line_plc_connected',
      help: "1 if the line's last PLC read or write succeeded, 0 if it failed",
      labelNames: ['line'],
      registers: [r],
      collect() {
        this.reset();
        each((h) => {
          if (h.plcConnected !== null) this.set({ line: h.lineId }, h.plcConnected ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: 'benchtop_line_vision_connected',
      help: "1 if the station's last inspection returned a result, 0 if it failed or timed out",
      labelNames: ['line', 'station'],
      registers: [r],
      collect() {
        this.reset();
        each((h) => {
          for (const [station, ok] of Object.entries(h.visionConnected))
            if (ok !== null) this.set({ line: h.lineId, station }, ok ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: 'benchtop_line_parts',
      help: 'Parts tracked since start',
      labelNames: ['line'],
      registers: [r],
      collect() {
        this.reset();
        each((h) => this.set({ line: h.lineId }, h.parts));
      },
    });
    new Gauge({
      name: 'benchtop_line_store_queued_records',
      help: 'Parts, defects and events waiting for the line store (it is slow or down when this grows)',
      labelNames: ['line'],
      registers: [r],
      collect() {
        this.reset();
        each((h) => this.set({ line: h.lineId }, h.queuedRecords));
      },
    });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
