import { Benchtop } from '../../app/benchtop.ts';
import { releaseStartupMemory } from '../../app/startup-memory.ts';
import type { Invocation } from '../command-spec.ts';
import type { ConfigFlags } from '../config-source.ts';
import { loadForServer, stopOnSignals } from '../server-process.ts';

/**
 * Runs the server until SIGTERM/SIGINT. The first signal stops everything gracefully
 * within the configured timeouts; a second one exits at once.
 */
export async function startCommand(flags: ConfigFlags, env: NodeJS.ProcessEnv): Promise<void> {
  const { loaded, logger, logRing } = loadForServer(flags, env);
  const benchtop = new Benchtop(loaded, logger, { logRing });
  stopOnSignals(logger, () => benchtop.stop());
  try {
    await benchtop.start();
  } catch (error) {
    await benchtop.stop().catch(() => {});
    throw error;
  }
  if (!releaseStartupMemory()) {
    // Measured on config/default.toml: idle RSS ~183 MiB without it, ~145 MiB with it.
    logger.info('started without --expose-gc: start-up garbage stays in the young generation (≈ 40 MiB RSS)');
  }
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
