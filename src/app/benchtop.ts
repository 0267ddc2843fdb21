import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AlarmService } from '../alarms/alarm-service.ts';
import { AlarmStore } from '../alarms/alarm-store.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { BenchtopConfig } from '../config/schema.ts';
import { EventBus } from '../core/bus.ts';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.ts';
import type { ExitStatus } from '../core/documents.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { LogRing } from '../core/log-ring.ts';
import type { Logger } from '../core/logger.ts';
import { Supervisor } from '../core/supervisor.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { builtinPlans, PlanRegistry } from '../engine/plan-registry.ts';
import { createRecipePlan } from '../engine/plans/recipe.ts';
import { RunEngine } from '../engine/run-engine.ts';
import type { RunWriter, WriterFactory } from '../engine/run-storage.ts';
import type { InstrumentCatalog } from '../instruments/kind.ts';
import type { LineKpiPublisher } from '../production/line-kpi-publisher.ts';
import type { ProductionLines } from '../production/production-lines.ts';
import { SecurityStore } from '../server/auth/security-store.ts';
import { assertBindAllowed, describeBind } from '../server/bind-policy.ts';
import type { RemoteRunFiles } from '../server/context.ts';
import { HealthService } from '../server/health/health-service.ts';
import { BenchtopMetrics } from '../server/metrics/benchtop-metrics.ts';
import { buildServer } from '../server/server.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { BackupManager } from '../storage/backup/backup-manager.ts';
import { BackupScheduler } from '../storage/backup/backup-scheduler.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { DiskSpace, formatBytes } from '../storage/disk-space.ts';
import { RecipeStore } from '../storage/recipes/recipe-store.ts';
import { Retention } from '../storage/retention.ts';
import { openTimeSeriesStore } from '../storage/timeseries/open-timeseries-store.ts';
import { ParameterLogger } from '../storage/timeseries/parameter-logger.ts';
import type { TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import { AlarmHistoryMirror } from './alarm-history-mirror.ts';
import { importConfiguredRecipes } from './configured-recipes.ts';
import { InstrumentManager } from './instrument-manager.ts';
import { recoverInterruptedRuns } from './interrupted-runs.ts';
import { parameterSampler } from './parameter-sampler.ts';
import { logFailedRuns } from './run-end-log.ts';
import { runWriterFactory } from './run-writer-factory.ts';
import { watchExternalSetpoints } from './setpoint-watch.ts';

/** Signals per tick (all groups) above which the SQLite parameter log gathers ticks before writing. */
const LARGE_TICK_SIGNALS = 5000;
const LARGE_TICK_COALESCE_MS = 5000;
const LARGE_TICK_BATCH = 1000;

export interface BenchtopOptions {
  clock?: Clock;
  /** The logger's in-memory tail, shown on the System page and streamed on the `logs` channel. */
  logRing?: LogRing;
  /** The instrument kinds (tests add their own); default: src/instruments/catalog.ts. */
  catalog?: InstrumentCatalog;
  /**
   * What the API, engine, metrics and health see as the instruments: by default this process's
   * own; `benchtop hub` adds those of the site's agents (src/distributed).
   */
  directory?: (parts: {
    local: InstrumentManager;
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
  }) => InstrumentDirectory;
  /** A hub's run files kept on agents (camera frames), served by the run file route. */
  remoteFiles?: RemoteRunFiles;
  /**
   * Runs the last process left `running` are closed at start-up with a stop document of this
   * exit status and reason (a hub: the document reaches the site's record) instead of being
   * marked `interrupted`.
   */
  closeInterruptedRuns?: { exitStatus: ExitStatus; reason: string };
}

/**
 * The composition root: builds the bus, the supervisor and its actors, storage and the
 * server from one configuration, and tears them down in reverse order.
 */
export class Benchtop {
  readonly config: BenchtopConfig;
  readonly loaded: LoadedConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly bus: EventBus<BenchtopEvents>;
  readonly supervisor: Supervisor;
  readonly instruments: InstrumentManager;
  /** Every instrument the API and the run engine use: `instruments`, plus remote ones on a hub. */
  readonly directory: InstrumentDirectory;
  /** The shared physical model, in simulation mode. */
  readonly lab: VirtualLab | undefined;
  readonly metrics: BenchtopMetrics;
  readonly health: HealthService;
  readonly security: SecurityStore;
  readonly alarms: AlarmService;
  /** Whether the data disk is full: writers report ENOSPC here; alarm and /health follow it. */
  readonly disk: DiskSpace;
  private diskRecheck: TimerHandle | null = null;
  private readonly alarmStore: AlarmStore;
  /** With `[storage.postgres]`: the alarm history copied to PostgreSQL (alarms.sqlite stays the source). */
  readonly alarmHistory: AlarmHistoryMirror | null;
  /** Every run: its plan, status, files and documents (`<output_dir>/catalog.sqlite`). */
  readonly catalog: RunCatalog;
  /** Versioned process recipes (`<output_dir>/recipes.sqlite`), run by the `recipe` plan. */
  readonly recipes: RecipeStore;
  /** Runs plans one at a time, writing each run with the `[storage] default_backend` writer. */
  readonly engine: RunEngine;
  readonly logRing: LogRing | undefined;
  private backups: BackupScheduler | null = null;
  /** The `[storage] default_backend` writer for each run; loaded by startAcquisition. */
  private makeWriter: WriterFactory | null = null;
  /** The latest run's writer, for the storage queue metrics. */
  private currentWriter: RunWriter | null = null;
  /** The continuous parameter log (SQLite, or PostgreSQL/TimescaleDB). */
  timeseries: TimeSeriesStore | null = null;
  private parameterLogger: ParameterLogger | null = null;
  private retention: Retention | null = null;
  private server: FastifyInstance | null = null;
  /** The `[[lines]]`: part tracking on the PLC and cameras, their store (null without lines). */
  production: ProductionLines | null = null;
  private kpiPublisher: LineKpiPublisher | null = null;
  private stopping: Promise<void> | null = null;
  private readonly remoteFiles: RemoteRunFiles | undefined;
  private readonly closeInterruptedRuns: BenchtopOptions['closeInterruptedRuns'];
  /** Runs the last process left open, found (and closed or marked interrupted) at start. */
  interruptedAtStart: string[] = [];

  constructor(loaded: LoadedConfig, logger: Logger, options: BenchtopOptions = {}) {
    this.loaded = loaded;
    this.config = loaded.config;
    this.logger = logger;
    this.clock = options.clock ?? systemClock;
    this.logRing = options.logRing;
    this.remoteFiles = options.remoteFiles;
    this.closeInterruptedRuns = options.closeInterruptedRuns;
    this.bus = new EventBus<BenchtopEvents>(({ topic, error }) => {
      logger.error({ err: error, topic }, 'bus subscriber failed');
    });
    const actors = this.config.actors;
    this.supervisor = new Supervisor({
      clock: this.clock,
      mailboxCapacity: actors.default_mailbox_capacity,
      spawnTimeoutMs: actors.spawn_timeout_ms,
      shutdownTimeoutMs: actors.shutdown_timeout_ms,
      policy: {
        maxRestarts: actors.max_restarts,
        windowMs: actors.restart_window_ms,
        initialBackoffMs: actors.restart_backoff_initial_ms,
        maxBackoffMs: actors.restart_backoff_max_ms,
        jitter: 0.2,
      },
      faultedRetryMs: actors.faulted_retry_ms,
      stableAfterMs: actors.restart_reset_after_ms,
      onStateChange: (change) => this.bus.emit('actor.state', change),
    });
    const sim = this.config.simulation;
    this.lab = sim.enabled
      ? new VirtualLab({
          clock: this.clock,
          seed: sim.seed,
          beamWaistMm: sim.beam_waist_mm,
          knifeEdgeMm: sim.knife_edge_mm,
          warmupS: sim.warmup_s,
          ...(sim.monitor_photodiode_latency_ms === undefined
            ? {}
            : {
                monitorPhotodiode: {
                  latencyMs: sim.monitor_photodiode_latency_ms,
                  volts: sim.monitor_photodiode_volts,
                },
              }),
        })
      : undefined;
    this.instruments = new InstrumentManager({
      config: this.config,
      bus: this.bus,
      supervisor: this.supervisor,
      clock: this.clock,
      logger,
      ...(this.lab ? { lab: this.lab } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
    });
    this.directory = options.directory
      ? options.directory({ local: this.instruments, bus: this.bus, clock: this.clock })
      : this.instruments;
    mkdirSync(this.config.storage.output_dir, { recursive: true });
    this.disk = new DiskSpace({
      path: this.config.storage.output_dir,
      now: () => this.clock.now(),
      onChange: (state) => {
        const log = logger.child({ component: 'storage' });
        if (state.full) {
          log.error(
            { path: state.path, freeBytes: state.freeBytes, source: state.source },
            state.reason ?? 'disk full',
          );
          this.watchDiskUntilFree();
        } else
          log.info(
            { path: state.path, freeBytes: state.freeBytes },
            `data disk has space again: ${formatBytes(state.freeBytes)} free`,
          );
        this.bus.emit('storage.disk', {
          full: state.full,
          path: state.path,
          free_bytes: state.freeBytes,
          reason: state.reason,
        });
      },
    });
    this.metrics = new BenchtopMetrics({
      bus: this.bus,
      instruments: this.directory,
      dataDir: this.config.storage.output_dir,
    });
    this.security = SecurityStore.inOutputDir(this.config.storage.output_dir);
    this.alarmHistory = AlarmHistoryMirror.fromConfig(this.config, {
      clock: this.clock,
      logger,
      onWriteError: () => this.metrics.errors.inc({ kind: 'alarm_history' }),
    });
    const history = this.alarmHistory;
    this.alarmStore = AlarmStore.inOutputDir(
      this.config.storage.output_dir,
      history ? { onEventSaved: (event) => history.queue.record(event) } : {},
    );
    this.alarms = new AlarmService({
      alarms: this.config.alarms,
      instruments: this.config.instruments.filter((i) => i.enabled).map((i) => ({ id: i.id, type: i.type })),
      bus: this.bus,
      clock: this.clock,
      store: this.alarmStore,
      logger,
      storagePath: this.config.storage.output_dir,
    });
    this.metrics.attachAlarms(this.alarms);
    this.catalog = RunCatalog.inOutputDir(this.config.storage.output_dir);
    this.recipes = RecipeStore.inOutputDir(this.config.storage.output_dir);
    const recipePlan = createRecipePlan({
      recipes: this.recipes,
      process: this.config.process,
      devices: () => this.engine.devices(),
    });
    this.engine = new RunEngine({
      instruments: this.directory,
      bus: this.bus,
      clock: this.clock,
      config: this.config,
      writerFactory: (start, report) => {
        if (!this.makeWriter) {
          throw new BenchtopError(
            'STORAGE_ERROR',
            'run writers are not loaded: Benchtop has not been started',
          );
        }
        this.currentWriter = this.makeWriter(start, report);
        return this.currentWriter;
      },
      recorder: this.catalog,
      plans: new PlanRegistry([...builtinPlans, recipePlan as never], {
        maxPoints: this.config.engine.max_points,
        maxDurationS: this.config.engine.max_duration_s,
      }),
      onInstrumentUnavailable: this.config.engine.on_instrument_unavailable,
      suspendTimeoutS: this.config.engine.suspend_timeout_s,
    });
    logFailedRuns(this.bus, this.engine, logger);
    watchExternalSetpoints(this.bus, this.instruments, logger);
    this.metrics.attachStorage({
      runWriter: () => this.currentWriter,
      parameterLog: () => this.parameterLogger,
      alarmHistory: () => this.alarmHistory?.queue ?? null,
    });
    this.bus.on('alarm.suspend_runs', ({ alarm, active, reason }) => {
      const why = `alarm ${alarm}: ${reason}`;
      if (active) this.engine.suspend(why);
      else this.engine.clearSuspension(why);
    });
    this.health = new HealthService({
      clock: this.clock,
      instruments: this.directory,
      dataDir: this.config.storage.output_dir,
      minFreeBytes: 1024 ** 3,
      cacheMs: this.config.server.health_cache_s * 1000,
      disk: this.disk,
    });
    if (history) this.health.addProbe(async () => history.health());
    this.bus.on('actor.state', (change) => {
      const log = logger.child({ 'instrument.id': change.id, 'instrument.type': change.kind });
      if (change.state === 'failed')
        log.warn({ error: change.error }, `${change.kind} actor failed: ${change.id}`);
      else if (change.state === 'faulted')
        log.error({ error: change.error }, `${change.kind} actor faulted: ${change.id}`);
      else if (change.state === 'restarting')
        log.info({ retryInMs: change.retryInMs }, `${change.kind} actor restarting: ${change.id}`);
      else log.debug(`${change.kind} actor ${change.state}: ${change.id}`);
    });
  }

  /** Starts everything and returns the URL the server listens on. */
  async start(): Promise<{ url: string }> {
    const { server, security } = this.config;
    assertBindAllowed(server.bind_address, security.auth);
    // Simulators answer anyone who connects: the same policy as the server's own address.
    if (this.config.simulation.enabled)
      assertBindAllowed(this.config.simulation.bind_address, security.auth, 'simulation.bind_address');
    this.logger.info(
      { version: BENCHTOP_VERSION, config: this.loaded.file ?? '(defaults)' },
      `Starting Benchtop ${BENCHTOP_VERSION}`,
    );
    if (this.lab) this.logger.info('simulation enabled: instruments talk to the virtual lab');
    if (this.logRing) this.logRing.subscribe((record) => this.bus.emit('log.record', record));
    const close = this.closeInterruptedRuns;
    this.interruptedAtStart = await recoverInterruptedRuns(
      this.catalog,
      this.config.storage.output_dir,
      this.logger,
      close ? { ...close, now: this.clock.now() } : undefined,
    );
    importConfiguredRecipes(this.recipes, this.config.process, this.loaded.file, this.logger);
    await this.startAcquisition();
    await this.startParameterLog();
    await this.startProduction();
    this.startBackups();
    const built = await buildServer({
      config: this.config,
      logger: this.logger,
      bus: this.bus,
      clock: this.clock,
      instruments: this.directory,
      metrics: this.metrics,
      health: this.health,
      security: this.security,
      alarms: this.alarms,
      engine: this.engine,
      catalog: this.catalog,
      recipes: this.recipes,
      ...(this.timeseries ? { timeseries: this.timeseries } : {}),
      ...(this.logRing ? { logRing: this.logRing } : {}),
      ...(this.production ? { production: this.production.context } : {}),
      ...(this.remoteFiles ? { remoteFiles: this.remoteFiles } : {}),
      startedAt: this.clock.now(),
    });
    this.server = built.app;
    const address = await this.server.listen({ host: server.bind_address, port: server.port });
    const port = (this.server.server.address() as { port: number }).port;
    const bound = describeBind(server.bind_address, port, server.tls !== undefined);
    // `url` stays an address a local client can connect to; the message says where it listens.
    this.logger.info({ url: address, bind: server.bind_address }, `Benchtop ready at ${bound}`);
    return { url: address };
  }

  /**
   * Alarms and instruments without the server: what `benchtop run --local` needs. It leaves
   * the catalog's `running` entries alone, since a server may be running on the same output_dir.
   */
  async startAcquisition(): Promise<void> {
    this.makeWriter ??= await runWriterFactory(this.config.storage, this.clock, this.disk);
    this.alarmHistory?.start();
    this.alarms.start();
    await this.instruments.startAll();
  }

  /** Parameter logging groups, their store, and retention of old data. */
  private async startParameterLog(): Promise<void> {
    const { storage, logging, retention } = this.config;
    this.timeseries = await openTimeSeriesStore(storage);
    const store = this.timeseries;
    const log = this.logger.child({ component: 'parameter-log' });
    if (logging.groups.length > 0) {
      const shortest = Math.min(...logging.groups.map((g) => g.interval_s));
      // SQLite keeps each signal's samples together: a tick of thousands of signals written on
      // its own rewrites a page per signal, so such ticks are gathered and written 5 s at a time
      // (SampleWriteQueue coalesce), with room in the queue for the ticks gathered.
      const perTick = logging.groups.reduce((n, g) => n + g.signals.length, 0);
      const coalesce = store.kind === 'sqlite' && perTick > LARGE_TICK_SIGNALS;
      this.parameterLogger = new ParameterLogger({
        groups: logging.groups,
        clock: this.clock,
        store,
        ...(coalesce
          ? {
              coalesceMs: LARGE_TICK_COALESCE_MS,
              // Smaller writes of the gathered ticks: each holds the event loop (and SQLite's
              // checkpoint after it) for a short while, so polls and sockets run in between.
              batchSize: LARGE_TICK_BATCH,
              queueCapacity: Math.max(
                100_000,
                perTick * ((2 * LARGE_TICK_COALESCE_MS) / (shortest * 1000) + 2),
              ),
            }
          : {}),
        sample: parameterSampler(this.instruments, this.clock, shortest * 1000),
        onTick: (tick) => this.metrics.parameterLogTick(tick),
        onError: (error) => {
          this.metrics.errors.inc({ kind: 'parameter_log' });
          log.warn({ err: error }, 'parameter log problem');
        },
        // SQLite lives on the data disk; PostgreSQL's own disk is its server's business.
        ...(store.kind === 'sqlite'
          ? {
              disk: {
                full: (error) => this.disk.explain(error, 'the parameter log'),
                hasSpace: () => !this.disk.check().full,
                onFull: (error, held) =>
                  log.error(
                    { err: error, held },
                    `parameter log: the disk is full; keeping samples in memory (${held} so far, at most ${this.parameterLogger?.backlog().capacity}; more are dropped and counted) until space returns`,
                  ),
                onSpace: (written) =>
                  log.info(
                    { written },
                    `parameter log: the disk has space again; writing ${written} held samples`,
                  ),
              },
            }
          : {}),
      });
      this.parameterLogger.start();
      this.health.addProbe(async () => {
        const stats = this.parameterLogger?.stats() ?? [];
        const late = Math.max(0, ...stats.map((g) => g.lastLatenessMs ?? 0));
        const backlog = this.parameterLogger?.backlog();
        return {
          name: 'parameter_logging',
          status: late > 30_000 || backlog?.diskFull ? 'unhealthy' : late > 3_000 ? 'degraded' : 'healthy',
          details: { backend: store.kind, groups: stats, backlog },
        };
      });
      log.info(
        { groups: logging.groups.map((g) => g.name), backend: store.kind },
        'parameter logging started',
      );
    }
    if (storage.postgres) {
      this.health.addProbe(async () => {
        const started = performance.now();
        try {
          await store.query({ signals: ['__health__'], from: 0, to: 1, buckets: 1 });
          return {
            name: 'database',
            status: 'healthy',
            details: { backend: store.kind, response_ms: performance.now() - started },
          };
        } catch (error) {
          return {
            name: 'database',
            status: 'unhealthy',
            details: { backend: store.kind, error: (error as Error).message },
          };
        }
      });
    }
    this.retention = new Retention({
      clock: this.clock,
      store,
      catalog: this.catalog,
      outputDir: storage.output_dir,
      parameterLogDays: retention.parameter_log_days,
      runDataDays: retention.run_data_days,
      onSweep: (r) => {
        if (r.samplesDeleted || r.runsCleared.length) log.info({ ...r }, 'retention sweep');
      },
      onError: (error) => log.warn({ err: error }, 'retention sweep failed'),
    });
    this.retention.start();
  }

  /** The configured lines, tracking parts once the instruments are up. */
  private async startProduction(): Promise<void> {
    if (this.config.lines.length === 0) return;
    // Loaded only for a configured line: a lab without one carries none of the tracking code.
    const [
      { ProductionLines },
      { instrumentLineAdapters },
      { lineAlarmSink },
      { lineBusHooks },
      { LineKpiPublisher },
    ] = await Promise.all([
      import('../production/production-lines.ts'),
      import('../production/adapters/instrument-line-adapters.ts'),
      import('../production/line-alarm-sink.ts'),
      import('../production/line-bus-events.ts'),
      import('../production/line-kpi-publisher.ts'),
    ]);
    const log = this.logger.child({ component: 'production' });
    this.production = await ProductionLines.open(this.config, {
      clock: this.clock,
      adapters: instrumentLineAdapters({
        directory: this.directory,
        bus: this.bus,
        instruments: this.config.instruments,
      }),
      ...lineBusHooks(this.bus),
      // W204, F205, S101, S102 are alarms like any other: life cycle, acknowledge, history, metrics.
      alarmsFor: (lineId) => lineAlarmSink(lineId, this.alarms),
      onError: (error) => {
        this.metrics.errors.inc({ kind: 'production' });
        log.warn({ err: error }, 'production line problem');
      },
    });
    this.metrics.attachLines(this.production.trackers);
    const kpis = new LineKpiPublisher({
      lines: this.config.lines,
      store: this.production.store,
      clock: this.clock,
      publish: (update) => this.bus.emit('line.kpis', update),
      onError: (error) => log.warn({ err: error }, 'live line KPIs not computed'),
    });
    this.kpiPublisher = kpis;
    this.bus.on('line.part', ({ part }) => kpis.changed(part.lineId));
    this.bus.on('line.state', (event) => kpis.changed(event.lineId));
    await this.production.start();
    log.info({ lines: this.config.lines.map((l) => l.id) }, 'production lines tracking');
  }

  /** While the disk is full, look for space every few seconds (the alarm clears when it returns). */
  private watchDiskUntilFree(): void {
    if (this.diskRecheck) return;
    const recheck = () => {
      this.diskRecheck = this.disk.check().full ? this.clock.setTimeout(recheck, 5_000) : null;
    };
    this.diskRecheck = this.clock.setTimeout(recheck, 5_000);
  }

  private startBackups(): void {
    const backup = this.config.backup;
    if (backup.schedule) {
      const manager = new BackupManager({
        outputDir: this.config.storage.output_dir,
        backupDir: backup.dir,
        ...(this.loaded.file ? { configFile: this.loaded.file } : {}),
        includeData: backup.include_data,
        keepCount: backup.keep_count,
        keepDays: backup.keep_days,
      });
      this.backups = new BackupScheduler({
        expression: backup.schedule,
        clock: this.clock,
        log: this.logger.child({ component: 'backup' }),
        backup: () => manager.create('scheduled'),
      });
      this.backups.start();
    }
  }

  /** Graceful stop: no new requests, actors stopped last-started-first within their timeouts. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.logger.info('Stopping Benchtop');
    // First, while instruments still answer: the running run is aborted and its files closed.
    await this.engine.shutdown('shutdown');
    // Then the last parameter-log tick is written while instruments still answer.
    await this.parameterLogger?.stop();
    await this.server?.close();
    // The parts in progress are written back while the PLC still answers, then the store closes.
    await this.kpiPublisher?.stop();
    await this.production?.stop();
    const { timedOut } = await this.supervisor.stopAll();
    if (timedOut.length) this.logger.warn({ actors: timedOut }, 'actors exceeded the shutdown timeout');
    await this.instruments.closeSimulators();
    // A simulated line keeps cycling on its timers, which would keep the process alive.
    this.lab?.dispose();
    this.backups?.stop();
    await this.retention?.stop();
    await this.timeseries?.close();
    this.alarms.stop();
    this.diskRecheck?.cancel();
    this.alarmStore.close();
    // After the alarm service: its last events (the instruments' stops) are written too.
    await this.alarmHistory?.stop();
    this.security.close();
    try {
      this.catalog.close();
    } catch (error) {
      // A full disk: the catalog's last documents are lost, but Benchtop still stops cleanly.
      this.logger.error({ err: error }, 'the run catalog could not write its last documents');
    }
    this.recipes.close();
    this.logger.info('Benchtop stopped');
  }
}
