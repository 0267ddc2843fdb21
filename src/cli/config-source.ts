import { fileURLToPath } from 'node:url';
import type { Override } from '../config/env.ts';
import { parseAssignment } from '../config/load.ts';

/** The configuration `npm start` runs when no file is named: the simulated lab. */
export const BUILTIN_CONFIG = fileURLToPath(new URL('../../config/default.toml', import.meta.url));

export interface ConfigFlags {
  config?: string;
  port?: string;
  bind?: string;
  logLevel?: string;
  set?: string[];
  simulation?: boolean;
}

/** --config, else $BENCHTOP_CONFIG, else the built-in simulated lab. */
export function resolveConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.BENCHTOP_CONFIG ?? BUILTIN_CONFIG;
}

/** Command-line flags become the highest-precedence layer of the configuration. */
export function flagOverrides(flags: ConfigFlags): Override[] {
  const out: Override[] = [];
  if (flags.port !== undefined)
    out.push({ ...parseAssignment(`server.port=${flags.port}`, '--port'), source: 'flag:--port' });
  if (flags.bind !== undefined)
    out.push({ path: ['server', 'bind_address'], value: flags.bind, source: 'flag:--bind' });
  if (flags.logLevel !== undefined)
    out.push({ path: ['application', 'log_level'], value: flags.logLevel, source: 'flag:--log-level' });
  if (flags.simulation === false)
    out.push({ path: ['simulation', 'enabled'], value: false, source: 'flag:--no-simulation' });
  for (const s of flags.set ?? []) out.push(parseAssignment(s, '--set'));
  return out;
}
