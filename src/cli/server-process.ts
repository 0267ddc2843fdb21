import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { LogRing } from '../core/log-ring.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from './config-source.ts';

// What every long-running command (start, hub, agent) does around its Benchtop: the same
// configuration layers, the same logger, the same two-signal shutdown.

/** The configuration from file, environment and flags, and a logger feeding a log ring. */
export function loadForServer(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  /** `benchtop hub`: logging groups may name agents' instruments. */
  options: { remoteInstruments?: boolean } = {},
) {
  const loaded = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
    ...(options.remoteInstruments ? { remoteInstruments: true } : {}),
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

/** The first SIGTERM/SIGINT stops gracefully within the configured timeouts, a second exits at once. */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
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
