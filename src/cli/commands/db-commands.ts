import type { BenchtopConfig } from '../../config/schema.ts';
import type { PostgresAlarmHistory } from '../../storage/alarm-history/postgres-alarm-history.ts';
import type { SchemaStatus } from '../../storage/schema-status.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

// Config loading and the stores are imported when the command runs, so building the program
// (and `benchtop --version`) loads neither TypeBox nor a database driver (type imports are erased).
async function configOf(flags: ConfigFlags, env: NodeJS.ProcessEnv) {
  const { loadBenchtopConfig } = await import('../../app/load-benchtop-config.ts');
  return loadBenchtopConfig({ file: resolveConfigFile(flags.config, env), env, flags: flagOverrides(flags) })
    .config;
}

function printStatus(title: string, status: SchemaStatus, out: NodeJS.WritableStream): void {
  out.write(`${title}\nbackend: ${status.backend}\nschema version: ${status.version} of ${status.latest}\n`);
  for (const m of status.applied) out.write(`  ${m.version}  ${m.appliedAt}  ${m.description}\n`);
  if (status.version < status.latest)
    out.write(`pending: ${status.latest - status.version} migration(s); run benchtop db migrate\n`);
}

/**
 * The alarm history's PostgreSQL schema (with `[storage.postgres]` only: alarms.sqlite migrates
 * itself when the alarm store opens), open for `use` and closed after.
 */
async function withAlarmHistory<T>(
  config: Pick<BenchtopConfig, 'storage' | 'retention'>,
  use: (history: PostgresAlarmHistory) => Promise<T>,
): Promise<T | null> {
  const pg = config.storage.postgres;
  if (!pg) return null;
  const { PostgresAlarmHistory } = await import('../../storage/alarm-history/postgres-alarm-history.ts');
  const history = new PostgresAlarmHistory({
    url: pg.url,
    timescaledb: pg.timescaledb,
    retentionDays: config.retention.production_days,
  });
  try {
    return await use(history);
  } finally {
    await history.close();
  }
}

/**
 * `benchtop db migrate`: create or upgrade the production line store's schema (SQLite or
 * PostgreSQL) and, with PostgreSQL, the alarm history's.
 */
export async function dbMigrate(inv: Invocation<ConfigFlags, unknown>): Promise<void> {
  const config = await configOf(inv.options, inv.env);
  const { lineStoreStatus, openLineStore } = await import('../../production/store/open-line-store.ts');
  const before = await lineStoreStatus(config);
  const store = await openLineStore(config);
  const after = await store.status();
  await store.close();
  inv.out.write(`migrated ${after.backend} from version ${before.version} to ${after.version}\n`);
  await withAlarmHistory(config, async (history) => {
    const was = await history.status();
    await history.migrate();
    const now = await history.status();
    inv.out.write(`migrated alarm history (${now.backend}) from version ${was.version} to ${now.version}\n`);
  });
}

/** `benchtop db status`: the schema versions and applied migrations, changing nothing. */
export async function dbStatus(inv: Invocation<ConfigFlags, unknown>): Promise<void> {
  const config = await configOf(inv.options, inv.env);
  const { lineStoreStatus } = await import('../../production/store/open-line-store.ts');
  printStatus('line store', await lineStoreStatus(config), inv.out);
  const alarms = await withAlarmHistory(config, (history) => history.status());
  if (alarms) printStatus('alarm history', alarms, inv.out);
}
