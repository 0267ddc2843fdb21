import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ConfigError } from '../../config/issues.ts';
import type { Invocation } from '../command-spec.ts';

/** Validates a file: prints OK and returns 0, or prints every problem and returns 2. */
export function validateConfigCommand(
  file: string,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  try {
    const { config } = loadBenchtopConfig({ file, env });
    const enabled = config.instruments.filter((i) => i.enabled).length;
    out.write(
      `${file}: configuration is valid (${config.instruments.length} instruments, ${enabled} enabled)\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      err.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `benchtop validate-config FILE`, `benchtop config validate FILE`: exit 0 valid, 2 invalid. */
export const validateConfigAction = (inv: Invocation<unknown, { file: string }>) =>
  validateConfigCommand(inv.args.file, inv.env, inv.out, inv.err);
