import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BenchtopConfig } from '../../config/schema.ts';
import { sqliteLineMigrations } from './line-migrations.ts';
import type { LineStore, SchemaStatus } from './line-store.ts';

/** `<output_dir>/production.sqlite`, the embedded default. */
export function sqliteLinePath(config: Pick<BenchtopConfig, 'storage'>): string {
  return join(config.storage.output_dir, 'production.sqlite');
}

/**
 * The line store the configuration names: PostgreSQL when `[storage.postgres] url` is set, else
 * the embedded SQLite file. Opening migrates the schema to the latest version.
 */
export async function openLineStore(
  config: Pick<BenchtopConfig, 'storage' | 'retention'>,
): Promise<LineStore> {
  const pgConfig = config.storage.postgres;
  if (pgConfig) {
    const { PostgresLineStore } = await import('./postgres-line-store.ts');
    return PostgresLineStore.open({
      url: pgConfig.url,
      timescaledb: pgConfig.timescaledb,
      retentionDays: config.retention.production_days,
    });
  }
  const { SqliteLineStore } = await import('./sqlite-line-store.ts');
  return new SqliteLineStore(sqliteLinePath(config));
}

/** The schema state without changing anything (`benchtop db status`). */
export async function lineStoreStatus(
  config: Pick<BenchtopConfig, 'storage' | 'retention'>,
): Promise<SchemaStatus> {
  const pgConfig = config.storage.postgres;
  if (pgConfig) {
    const { PostgresLineStore } = await import('./postgres-line-store.ts');
    const store = await PostgresLineStore.open({
      url: pgConfig.url,
      timescaledb: pgConfig.timescaledb,
      retentionDays: config.retention.production_days,
      migrate: false,
    });
    try {
      return await store.status();
    } finally {
      await store.close();
    }
  }
  const path = sqliteLinePath(config);
  const latest = sqliteLineMigrations.length;
  if (!existsSync(path)) return { backend: 'sqlite', version: 0, latest, applied: [] };
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const table = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
      .get();
    if (!table) return { backend: 'sqlite', version: 0, latest, applied: [] };
    const applied = (
      db.prepare('SELECT version, description, applied_at FROM schema_version ORDER BY version').all() as {
        version: number;
        description: string;
        applied_at: string;
      }[]
    ).map((r) => ({ version: r.version, description: r.description, appliedAt: r.applied_at }));
    return { backend: 'sqlite', version: applied.at(-1)?.version ?? 0, latest, applied };
  } finally {
    db.close();
  }
}
