import type { SchemaStatus } from '../../production/store/line-store.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

// Config loading and the stores are imported when the command runs, so building the program
// (and `benchtop --version`) loads neither TypeBox nor a database driver.
async function configOf(flags: ConfigFlags, env: NodeJS.ProcessEnv) {
  const { loadBenchtopConfig } = await import('../../app/load-benchtop-config.ts');
  return loadBenchtopConfig({ file: resolveConfigFile(flags.config, env), env, flags: flagOverrides(flags) })
    .config;
}

function printStatus(status: SchemaStatus, out: NodeJS.WritableStream): void {
  out.write(`backend: ${status.backend}\nschema version: ${status.version} of ${status.latest}\n`);
  for (const m of status.applied) out.write(`  ${m.version}  ${m.appliedAt}  ${m.description}\n`);
  if (status.version < status.latest)
    out.write(`pending: ${status.latest - status.version} migration(s); run benchtop db migrate\n`);
}

/** `benchtop db migrate`: create or upgrade the production line store's schema (SQLite or PostgreSQL). */
export async function dbMigrate(inv: Invocation<ConfigFlags, unknown>): Promise<void> {
  const config = await configOf(inv.options, inv.env);
  const { lineStoreStatus, openLineStore } = await import('../../production/store/open-line-store.ts');
  const before = await lineStoreStatus(config);
  const store = await openLineStore(config);
  const after = await store.status();
  await store.close();
  inv.out.write(`migrated ${after.backend} from version ${before.version} to ${after.version}\n`);
}

/** `benchtop db status`: the schema version and applied migrations, changing nothing. */
export async function dbStatus(inv: Invocation<ConfigFlags, unknown>): Promise<void> {
  const config = await configOf(inv.options, inv.env);
  const { lineStoreStatus } = await import('../../production/store/open-line-store.ts');
  printStatus(await lineStoreStatus(config), inv.out);
}
