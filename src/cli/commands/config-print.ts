import { stringify } from 'smol-toml';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { describeSources } from '../../config/load.ts';
import { redactConfig } from '../../config/redact.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/** Prints the effective configuration (secrets redacted) with where each setting came from. */
export function configPrintCommand(
  flags: ConfigFlags & { json?: boolean },
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): void {
  const loaded = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const redacted = redactConfig(loaded.config);
  if (flags.json) {
    out.write(
      `${JSON.stringify({ file: loaded.file, config: redacted, sources: describeSources(loaded) }, null, 2)}\n`,
    );
    return;
  }
  const redactedLoaded = { ...loaded, config: redacted };
  const rows = describeSources(redactedLoaded);
  const width = Math.max(...rows.map((r) => r.path.length));
  out.write(`# effective configuration from ${loaded.file ?? '(defaults)'}; source per setting\n`);
  for (const row of rows) {
    out.write(`${row.path.padEnd(width)}  ${JSON.stringify(row.value)}  # ${row.source}\n`);
  }
  out.write('\n# as TOML:\n');
  out.write(`${stringify(redacted as Record<string, unknown>)}\n`);
}

export const configPrintAction = (inv: Invocation<ConfigFlags & { json?: boolean }, unknown>) =>
  configPrintCommand(inv.options, inv.env, inv.out);
