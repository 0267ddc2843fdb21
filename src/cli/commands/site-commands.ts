import { hostname } from 'node:os';
import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { LogRing } from '../../core/log-ring.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { BENCHTOP_VERSION } from '../../core/version.ts';
import { Agent } from '../../distributed/agent.ts';
import { RemoteDirectory } from '../../distributed/remote-directory.ts';
import { SiteDirectory } from '../../distributed/site-directory.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/**
 * `benchtop agent` and `benchtop hub`: several machines over NATS (src/distributed). The agent
 * runs this host's instruments and serves them on the bus; the hub runs everything else and
 * sees the agents' instruments as its own.
 */

function setUp(flags: ConfigFlags, env: NodeJS.ProcessEnv) {
  const loaded = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const { config } = loaded;
  const logRing = new LogRing(500);
  const logger = createLogger({
    ring: logRing,
    level: config.application.log_level,
    format: config.logging.format,
    name: config.application.name,
    ...(config.logging.file ? { file: config.logging.file } : {}),
  });
  return { loaded, logger, logRing };
}

/** The first SIGTERM/SIGINT stops gracefully, a second exits at once. */
function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    logger.info({ signal }, 'shutting down (send the signal again to exit at once)');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export async function agentAction(inv: Invocation<ConfigFlags, unknown>): Promise<undefined> {
  const { loaded, logger, logRing } = setUp(inv.options, inv.env);
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
  stopOnSignals(logger, async () => {
    await agent.stop();
    await benchtop.stop();
  });
  return undefined;
}

export async function hubAction(inv: Invocation<ConfigFlags, unknown>): Promise<undefined> {
  const { loaded, logger, logRing } = setUp(inv.options, inv.env);
  let remote: RemoteDirectory | null = null;
  const benchtop = new Benchtop(loaded, logger, {
    logRing,
    directory: ({ local, bus, clock }) => {
      remote = new RemoteDirectory({
        config: loaded.config,
        bus,
        clock,
        logger,
        hubId: `${loaded.config.application.name}@${hostname()}`,
      });
      return new SiteDirectory(local, remote);
    },
  });
  const site = remote as unknown as RemoteDirectory;
  try {
    await site.start();
    await benchtop.start();
  } catch (error) {
    await benchtop.stop().catch(() => {});
    await site.stop().catch(() => {});
    throw error;
  }
  stopOnSignals(logger, async () => {
    await benchtop.stop();
    await site.stop();
  });
  return undefined;
}
