import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { releaseStartupMemory } from '../../app/startup-memory.ts';
import { LogRing } from '../../core/log-ring.ts';
import { createLogger } from '../../core/logger.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/**
 * Runs the server until SIGTERM/SIGINT. The first signal stops everything gracefully
 * within the configured timeouts; a second one exits at once.
 */
export async function startCommand(flags: ConfigFlags, env: NodeJS.ProcessEnv): Promise<void> {
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
  const benchtop = new Benchtop(loaded, logger, { logRing });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal }, 'shutting down (send the signal again to exit at once)');
    benchtop.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await benchtop.start();
  } catch (error) {
    await benchtop.stop().catch(() => {});
    throw error;
  }
  releaseStartupMemory();
}

/** `benchtop start`, and `benchtop` with no command (`--validate-config FILE` checks a file instead). */
export async function startAction(inv: Invocation<ConfigFlags & { validateConfig?: string }, unknown>) {
  if (inv.options.validateConfig) {
    const { validateConfigCommand } = await import('./validate-config.ts');
    return validateConfigCommand(inv.options.validateConfig, inv.env, inv.out, inv.err);
  }
  await startCommand(inv.options, inv.env);
  return undefined;
}
