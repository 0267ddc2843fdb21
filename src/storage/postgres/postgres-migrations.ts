import type pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';
import type { SchemaStatus } from '../schema-status.ts';
import type { Migration } from '../sqlite-database.ts';

/** Any constant: one Benchtop at a time migrates a database. */
const MIGRATION_LOCK = 0x6265_6e63;

export interface AppliedMigration {
  version: number;
  description: string;
  appliedAt: string;
}

async function ensureVersionTable(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

/** The migrations recorded in `table` (empty when the table does not exist yet). */
export async function appliedMigrations(pool: pg.Pool, table: string): Promise<AppliedMigration[]> {
  const exists = await pool.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (!(exists.rows[0] as { present: boolean }).present) return [];
  const { rows } = await pool.query(`SELECT version, description, applied_at FROM ${table} ORDER BY version`);
  return (rows as { version: number; description: string; applied_at: Date }[]).map((r) => ({
    version: r.version,
    description: r.description,
    appliedAt: r.applied_at.toISOString(),
  }));
}

/**
 * Applies the migrations not yet recorded in `table` (each schema Benchtop keeps in PostgreSQL,
 * the line store's and the alarm history's, has its own version table), each in its own transaction, under an
 * advisory lock so two processes starting together do not both apply one. Returns the
 * versions applied now.
 */
export async function migratePostgres(
  pool: pg.Pool,
  table: string,
  migrations: readonly Migration[],
): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ensureVersionTable(client, table);
    const { rows } = await client.query(`SELECT coalesce(max(version), 0) AS v FROM ${table}`);
    const current = Number((rows[0] as { v: number }).v);
    const known = migrations.at(-1)?.version ?? 0;
    if (current > known) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `The database's ${table} is at version ${current}, newer than this Benchtop understands (${known})`,
        { table, version: current, supported: known },
      );
    }
    for (const [index, migration] of migrations.entries()) {
      if (migration.version !== index + 1)
        throw new BenchtopError('INTERNAL', `Migration ${index} has version ${migration.version}`);
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${table} (version, description) VALUES ($1, $2)`, [
          migration.version,
          migration.description,
        ]);
        await client.query('COMMIT');
        applied.push(migration.version);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new BenchtopError(
          'STORAGE_ERROR',
          `Migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`,
          { version: migration.version },
          { cause: err },
        );
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}

/** The version recorded in `table` against the latest of `migrations`, changing nothing. */
export async function postgresSchemaStatus(
  pool: pg.Pool,
  table: string,
  migrations: readonly Migration[],
): Promise<Omit<SchemaStatus, 'backend'>> {
  const applied = await appliedMigrations(pool, table);
  return { version: applied.at(-1)?.version ?? 0, latest: migrations.length, applied };
}
