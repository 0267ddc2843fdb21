import type pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';

export interface TimescaleChoice {
  /** auto: hypertables when the extension can be created; on: required; off: plain tables. */
  timescaledb: 'auto' | 'on' | 'off';
  /** Days kept by the retention policy; 0 keeps forever. */
  retentionDays: number;
}

/**
 * Makes `tables` hypertables on their `time` column with a retention policy when TimescaleDB
 * can be used, and says whether it did. Without the extension they stay plain tables (with the
 * time index their migration created), and their owner sweeps old rows itself.
 */
export async function setUpTimescaleTables(
  pool: pg.Pool,
  tables: readonly string[],
  choice: TimescaleChoice,
): Promise<boolean> {
  if (choice.timescaledb === 'off') return false;
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  } catch (err) {
    if (choice.timescaledb === 'on') {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `storage.postgres.timescaledb is "on" but the extension cannot be created: ${(err as Error).message}`,
        { sqlState: (err as { code?: string }).code },
        { cause: err },
      );
    }
    return false;
  }
  for (const table of tables) {
    await pool.query(
      `SELECT create_hypertable($1::regclass, 'time', if_not_exists => TRUE, migrate_data => TRUE)`,
      [table],
    );
    if (choice.retentionDays > 0) {
      await pool.query(
        `SELECT add_retention_policy($1::regclass, make_interval(days => $2::int), if_not_exists => TRUE)`,
        [table, choice.retentionDays],
      );
    }
  }
  return true;
}

/** Whether `table` is already a hypertable (false where TimescaleDB is not installed). */
export async function isHypertable(pool: pg.Pool, table: string): Promise<boolean> {
  try {
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_name = $1',
      [table],
    );
    return (rows[0] as { n: number }).n > 0;
  } catch {
    return false;
  }
}
