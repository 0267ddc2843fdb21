import { hostname } from 'node:os';
import { join } from 'node:path';
import { Benchtop } from '../../app/benchtop.ts';
import { parameterSampler } from '../../app/parameter-sampler.ts';
import type { Logger } from '../../core/logger.ts';
import { BENCHTOP_VERSION } from '../../core/version.ts';
import { Agent } from '../../distributed/agent.ts';
import {
  DelegatedGroupWatch,
  publishDelegatedGroups,
  splitGroups,
} from '../../distributed/delegated-logging.ts';
import { DocPublisher } from '../../distributed/doc-publisher.ts';
import { DocWriter } from '../../distributed/doc-writer.ts';
import {
  countReconciled,
  HUB_RESTART_EXIT_STATUS,
  hubRestartReason,
  reconcileHubRestart,
} from '../../distributed/hub-restart.ts';
import { LogForwarder, outboxStore } from '../../distributed/log-forwarder.ts';
import { LogOutbox } from '../../distributed/log-outbox.ts';
import { LogWriter } from '../../distributed/log-writer.ts';
import { RemoteDirectory } from '../../distributed/remote-directory.ts';
import { SiteAlarms } from '../../distributed/site-alarms.ts';
import { SiteDirectory } from '../../distributed/site-directory.ts';
import { PostgresRunDocuments } from '../../storage/catalog/postgres-run-documents.ts';
import { type ParameterLogGroupConfig, ParameterLogger } from '../../storage/timeseries/parameter-logger.ts';
import type { Invocation } from '../command-spec.ts';
import type { ConfigFlags } from '../config-source.ts';
import { loadForServer, stopOnSignals } from '../server-process.ts';

/**
 * `benchtop agent` and `benchtop hub`: several machines over NATS (src/distributed). The agent
 * runs this host's instruments and serves them on the bus; the hub runs everything else and
 * sees the agents' instruments as its own.
 */

export async function agentAction(inv: Invocation<ConfigFlags, unknown>): Promise<undefined> {
  const { loaded, logger, logRing } = loadForServer(inv.options, inv.env);
  const benchtop = new Benchtop(loaded, logger, { logRing });
  await benchtop.startAcquisition();
  const agent = new Agent({
    config: loaded.config,
    instruments: benchtop.instruments,
    bus: benchtop.bus,
    clock: benchtop.clock,
    logger,
    version: BENCHTOP_VERSION,
  });
  try {
    await agent.start();
  } catch (error) {
    await benchtop.stop().catch(() => {});
    throw error;
  }
  const parameterLog = startAgentParameterLog(loaded.config, agent, benchtop, logger);
  if (parameterLog) {
    const { outbox } = parameterLog;
    agent.reportOutbox(() => {
      const { pendingBytes, capacityBytes, droppedSamples, overflowing } = outbox.stats();
      return { pendingBytes, capacityBytes, droppedSamples, overflowing };
    });
  }
  stopOnSignals(logger, async () => {
    await parameterLog?.stop();
    await agent.stop();
    await benchtop.stop();
  });
  return undefined;
}

/**
 * The agent samples its `[[logging.groups]]` itself (stamped at acquisition here) into the
 * on-disk outbox, which the forwarder drains to the site's LOG stream for the hub to store;
 * so it does the hubs' groups over its instruments' signals (delegated-logging.ts).
 */
function startAgentParameterLog(
  config: Benchtop['config'],
  agent: Agent,
  benchtop: Benchtop,
  logger: Logger,
): { outbox: LogOutbox; stop(): Promise<void> } | null {
  const groups = config.logging.groups;
  const nc = agent.connection;
  const buckets = agent.siteBuckets;
  if (!nc || !buckets) return null;
  const log = logger.child({ component: 'parameter-log' });
  const outbox = new LogOutbox({
    path: join(config.storage.output_dir, 'log-outbox.sqlite'),
    capacityBytes: config.agent.log_buffer_max_bytes,
    policy: config.agent.log_buffer_overflow,
    onDrop: (samples, stats) =>
      log.error(
        { dropped: samples, ...stats },
        `parameter-log buffer full (${stats.pendingBytes} of ${stats.capacityBytes} bytes): ${samples} samples dropped (${stats.policy}); ${stats.droppedSamples} so far`,
      ),
  });
  const forwarder = new LogForwarder({
    nc,
    outbox,
    agentId: agent.agentId,
    site: config.agent.site,
    bus: config.bus,
  });
  const store = outboxStore(outbox, () => forwarder.wake());
  const logging = (list: ParameterLogGroupConfig[]) =>
    new ParameterLogger({
      groups: list,
      clock: benchtop.clock,
      store,
      sample: parameterSampler(
        benchtop.instruments,
        benchtop.clock,
        Math.min(...list.map((g) => g.interval_s)) * 1000,
      ),
      onError: (error) => log.warn({ err: error }, 'parameter log problem'),
    });
  const own = groups.length > 0 ? logging(groups) : null;
  // The hubs' groups: the logger is rebuilt when they change, one change at a time.
  let delegated: ParameterLogger | null = null;
  let changing = Promise.resolve();
  const watch = new DelegatedGroupWatch({
    kv: buckets.logGroups,
    owns: (id) => agent.owns(id),
    logger,
    apply: (list) => {
      changing = changing.then(async () => {
        await delegated?.stop();
        delegated = list.length > 0 ? logging(list) : null;
        delegated?.start();
      });
    },
  });
  forwarder.start();
  own?.start();
  void watch
    .start()
    .catch((error: unknown) => log.error({ err: error }, 'delegated logging groups not watched'));
  log.info(
    { groups: groups.map((g) => g.name), buffered: outbox.stats() },
    'parameter logging to the bus started',
  );
  return {
    outbox,
    stop: async () => {
      watch.stop();
      await changing;
      await delegated?.stop();
      await own?.stop();
      await forwarder.stop();
      outbox.close();
    },
  };
}

export async function hubAction(inv: Invocation<ConfigFlags, unknown>): Promise<undefined> {
  const {
    loaded: configured,
    logger,
    logRing,
  } = loadForServer(inv.options, inv.env, {
    remoteInstruments: true,
  });
  // Groups over agents' signals are sampled by those agents; the hub samples only its own.
  const localIds = new Set(configured.config.instruments.filter((i) => i.enabled).map((i) => i.id));
  const groups = splitGroups(configured.config.logging.groups, (id) => localIds.has(id));
  const loaded = {
    ...configured,
    config: { ...configured.config, logging: { ...configured.config.logging, groups: groups.local } },
  };
  const hubId = `${loaded.config.application.name}@${hostname()}`;
  let remote: RemoteDirectory | null = null;
  const benchtop = new Benchtop(loaded, logger, {
    logRing,
    // Runs this hub's previous process left open get a stop document, which reaches the site's record.
    closeInterruptedRuns: { exitStatus: HUB_RESTART_EXIT_STATUS, reason: hubRestartReason(hubId) },
    remoteFiles: {
      owns: (file) => remote?.files.owns(file) ?? false,
      open: (file) => remote!.files.open(file),
    },
    directory: ({ local, bus, clock }) => {
      remote = new RemoteDirectory({
        config: loaded.config,
        bus,
        clock,
        logger,
        hubId,
      });
      return new SiteDirectory(local, remote);
    },
  });
  const site = remote as unknown as RemoteDirectory;
  site.onInstrumentAdded((instrument) => benchtop.alarms.addInstrument(instrument));
  let leasesReleased: string[] = [];
  try {
    await site.start();
    // Before any run can take a lease: those the previous process held are free again.
    leasesReleased = await site.releaseLeasesLeftBehind();
    await benchtop.start();
  } catch (error) {
    await benchtop.stop().catch(() => {});
    await site.stop().catch(() => {});
    throw error;
  }
  const nc = site.connection;
  await publishDelegatedGroups(site.siteBuckets!.logGroups, hubId, groups.remote);
  if (groups.remote.length > 0)
    logger.info(
      { groups: groups.remote },
      `logging groups over agents' signals handed to the agents: ${groups.remote.map((g) => g.name).join(', ')}`,
    );
  const writer =
    benchtop.timeseries && nc
      ? new LogWriter({
          nc,
          store: benchtop.timeseries,
          site: loaded.config.agent.site,
          bus: loaded.config.bus,
          logger,
        })
      : null;
  writer?.start();
  // The hub runs the plans, so it publishes their documents (DOCS stream); with PostgreSQL it stores the site's.
  const publisher = nc
    ? new DocPublisher({
        nc,
        site: loaded.config.agent.site,
        host: hubId,
        bus: loaded.config.bus,
        logger,
        source: benchtop.catalog,
        path: join(loaded.config.storage.output_dir, 'doc-publish.sqlite'),
      })
    : null;
  publisher?.start(benchtop.bus);
  const postgres = loaded.config.storage.postgres;
  const documents = postgres && nc ? await PostgresRunDocuments.connect(postgres.url) : null;
  const docWriter =
    documents && nc
      ? new DocWriter({
          nc,
          store: documents,
          site: loaded.config.agent.site,
          bus: loaded.config.bus,
          logger,
        })
      : null;
  docWriter?.start();
  const restart = nc
    ? await reconcileHubRestart(
        {
          hubId,
          site: loaded.config.agent.site,
          nc,
          bus: loaded.config.bus,
          logger,
          now: () => benchtop.clock.now(),
          inCatalog: (uid) => benchtop.catalog.get(uid) !== undefined,
          documents,
          stopRunsOnAgents: (runs, reason, onLate) => site.stopRunsOnAgents(runs, reason, onLate),
        },
        { closedInCatalog: benchtop.interruptedAtStart, leasesReleased },
      )
    : null;
  if (restart) countReconciled(benchtop.metrics.registry, restart);
  const siteAlarms = new SiteAlarms(benchtop.alarms, loaded.config.bus.clock_offset_alarm_ms);
  let alarmTimer = benchtop.clock.setTimeout(function watchAgents() {
    siteAlarms.update(site.agentsView());
    alarmTimer = benchtop.clock.setTimeout(watchAgents, loaded.config.agent.heartbeat_ms);
  }, loaded.config.agent.heartbeat_ms);
  benchtop.health.addProbe(async () => {
    const agents = site.agentsView();
    const limit = loaded.config.bus.clock_offset_alarm_ms;
    const off = agents.filter((a) => a.offsetMs !== null && Math.abs(a.offsetMs) > limit);
    const stale = agents.filter((a) => a.liveness === 'stale');
    return {
      name: 'agents',
      status: stale.length > 0 || off.length > 0 ? 'degraded' : 'healthy',
      details: {
        agents,
        leases: site.leasesView(),
        clockOffsetLimitMs: limit,
        samplesWritten: writer?.written ?? 0,
        documentsPublished: publisher?.published ?? 0,
        documentsStored: docWriter?.written ?? 0,
        restart,
      },
    };
  });
  stopOnSignals(logger, async () => {
    alarmTimer.cancel();
    await writer?.stop();
    await benchtop.stop();
    await publisher?.stop();
    await docWriter?.stop();
    await documents?.close();
    await site.stop();
  });
  return undefined;
}
