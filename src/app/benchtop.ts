import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { LoadedConfig } from '../config/load.ts';
import type { BenchtopConfig } from '../config/schema.ts';
import { EventBus } from '../core/bus.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { LogRing } from '../core/log-ring.ts';
import type { Logger } from '../core/logger.ts';
import { Supervisor } from '../core/supervisor.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { AlarmService } from '../server/alarms/alarm-service.ts';
import { AlarmStore } from '../server/alarms/alarm-store.ts';
import { SecurityStore } from '../server/auth/security-store.ts';
import { assertBindAllowed } from '../server/bind-policy.ts';
import { HealthService } from '../server/health/health-service.ts';
import { BenchtopMetrics } from '../server/metrics/benchtop-metrics.ts';
import { buildServer } from '../server/server.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { InstrumentManager } from './instrument-manager.ts';

export interface BenchtopOptions {
  clock?: Clock;
  /** The logger's in-memory tail, shown on the System page and streamed on the `logs` channel. */
  logRing?: LogRing;
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
  /** The shared physical model, in simulation mode. */
  readonly lab: VirtualLab | undefined;
  readonly metrics: BenchtopMetrics;
  readonly health: HealthService;
  readonly security: SecurityStore;
  readonly alarms: AlarmService;
  private readonly alarmStore: AlarmStore;
  readonly logRing: LogRing | undefined;
  private server: FastifyInstance | null = null;
  private stopping: Promise<void> | null = null;

  constructor(loaded: LoadedConfig, logger: Logger, options: BenchtopOptions = {}) {
    this.loaded = loaded;
    this.config = loaded.config;
    this.logger = logger;
    this.clock = options.clock ?? systemClock;
    this.logRing = options.logRing;
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
        })
      : undefined;
    this.instruments = new InstrumentManager({
      config: this.config,
      bus: this.bus,
      supervisor: this.supervisor,
      clock: this.clock,
      logger,
      ...(this.lab ? { lab: this.lab } : {}),
    });
    mkdirSync(this.config.storage.output_dir, { recursive: true });
    this.metrics = new BenchtopMetrics({
      bus: this.bus,
      instruments: this.instruments,
      dataDir: this.config.storage.output_dir,
    });
    this.security = SecurityStore.inOutputDir(this.config.storage.output_dir);
    this.alarmStore = AlarmStore.inOutputDir(this.config.storage.output_dir);
    this.alarms = new AlarmService({
      alarms: this.config.alarms,
      instruments: this.config.instruments.filter((i) => i.enabled).map((i) => ({ id: i.id, type: i.type })),
      bus: this.bus,
      clock: this.clock,
      store: this.alarmStore,
      logger,
    });
    this.metrics.attachAlarms(this.alarms);
    this.health = new HealthService({
      clock: this.clock,
      instruments: this.instruments,
      dataDir: this.config.storage.output_dir,
      minFreeBytes: 1024 ** 3,
      cacheMs: 2000,
    });
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
    this.logger.info(
      { version: BENCHTOP_VERSION, config: this.loaded.file ?? '(defaults)' },
      `Starting Benchtop ${BENCHTOP_VERSION}`,
    );
    if (this.lab) this.logger.info('simulation enabled: instruments talk to the virtual lab');
    if (this.logRing) this.logRing.subscribe((record) => this.bus.emit('log.record', record));
    this.alarms.start();
    await this.instruments.startAll();
    const built = await buildServer({
      config: this.config,
      logger: this.logger,
      bus: this.bus,
      clock: this.clock,
      instruments: this.instruments,
      metrics: this.metrics,
      health: this.health,
      security: this.security,
      alarms: this.alarms,
      ...(this.logRing ? { logRing: this.logRing } : {}),
      startedAt: this.clock.now(),
    });
    this.server = built.app;
    const address = await this.server.listen({ host: server.bind_address, port: server.port });
    this.logger.info({ url: address }, `Benchtop ready at ${address}`);
    return { url: address };
  }

  /** Graceful stop: no new requests, actors stopped last-started-first within their timeouts. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.logger.info('Stopping Benchtop');
    await this.server?.close();
    const { timedOut } = await this.supervisor.stopAll();
    if (timedOut.length) this.logger.warn({ actors: timedOut }, 'actors exceeded the shutdown timeout');
    await this.instruments.closeSimulators();
    this.alarms.stop();
    this.alarmStore.close();
    this.security.close();
    this.logger.info('Benchtop stopped');
  }
}
