import pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';
import type { AgedRows } from '../age-retention.ts';
import { migratePostgres, postgresSchemaStatus } from '../postgres/postgres-migrations.ts';
import { isHypertable, setUpTimescaleTables, type TimescaleChoice } from '../postgres/timescale-tables.ts';
import type { SchemaStatus } from '../schema-status.ts';
import {
  ALARM_HISTORY_TABLES,
  ALARM_HISTORY_VERSION_TABLE,
  postgresAlarmHistoryMigrations,
} from './alarm-history-migrations.ts';

/**
 * One alarm event as the table keeps it: the alarm service's event (time as ISO 8601) and the
 * key it was given when queued.
 */
export interface AlarmHistoryRow {
  id: string;
  time: string;
  alarm: string;
  event: string;
  condition: string;
  severity: string;
  value: number | null;
  user: string | null;
  comment: string | null;
}

export interface PostgresAlarmHistoryOptions extends TimescaleChoice {
  url: string;
  /** Connect timeout for each pooled connection (ms). */
  connectTimeoutMs?: number;
}

/**
 * The alarm history in PostgreSQL (`alarm_events`), for reporting next to parts and line events:
 * a copy of what alarms.sqlite records, which stays what the alarm service reads. Opening does
 * not connect; the first write creates or upgrades the schema (and makes the table a
 * hypertable with a retention policy when TimescaleDB can be used), so a database that is down
 * when Benchtop starts is set up when it comes back.
 */
export class PostgresAlarmHistory implements AgedRows {
  private readonly pool: pg.Pool;
  private readonly options: PostgresAlarmHistoryOptions;
  private schema: Promise<boolean> | null = null;
  private timescale = false;

  constructor(options: PostgresAlarmHistoryOptions) {
    this.options = options;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
  }

  get kind(): 'postgres' | 'timescaledb' {
    return this.timescale ? 'timescaledb' : 'postgres';
  }

  /** Creates or upgrades the schema once (tried again after a failure). */
  async migrate(): Promise<void> {
    this.schema ??= (async () => {
      await migratePostgres(this.pool, ALARM_HISTORY_VERSION_TABLE, postgresAlarmHistoryMigrations);
      return setUpTimescaleTables(this.pool, ALARM_HISTORY_TABLES, this.options);
    })();
    try {
      this.timescale = await this.schema;
    } catch (err) {
      this.schema = null;
      throw storageError('create its schema', err);
    }
  }

  /** Inserts the rows in one statement; rows already stored (same id and time) are skipped. */
  async write(rows: readonly AlarmHistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.migrate();
    await this.run(
      `INSERT INTO alarm_events (id, time, alarm, event, condition, severity, value, "user", comment)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::float8[], $8::text[], $9::text[])
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.time),
        rows.map((r) => r.alarm),
        rows.map((r) => r.event),
        rows.map((r) => r.condition),
        rows.map((r) => r.severity),
        rows.map((r) => r.value),
        rows.map((r) => r.user),
        rows.map((r) => r.comment),
      ],
      'write alarm events',
    );
  }

  /** Benchtop's own retention on a plain table; 0 under TimescaleDB, whose policy drops whole chunks. */
  async deleteOlderThan(time: number): Promise<number> {
    await this.migrate();
    if (this.timescale) return 0;
    const result = await this.run(
      'DELETE FROM alarm_events WHERE time < to_timestamp($1::float8 / 1000)',
      [time],
      'delete old alarm events',
    );
    return result.rowCount ?? 0;
  }

  /** The schema's version and applied migrations, changing nothing (`benchtop db status`). */
  async status(): Promise<SchemaStatus> {
    try {
      const hypertable = await isHypertable(this.pool, ALARM_HISTORY_TABLES[0]);
      return {
        backend: hypertable ? 'timescaledb' : 'postgres',
        ...(await postgresSchemaStatus(
          this.pool,
          ALARM_HISTORY_VERSION_TABLE,
          postgresAlarmHistoryMigrations,
        )),
      };
    } catch (err) {
      throw storageError('read its schema version', err);
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async run(sql: string, params: unknown[], what: string): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, params);
    } catch (err) {
      throw storageError(what, err);
    }
  }
}

function storageError(what: string, err: unknown): BenchtopError {
  if (err instanceof BenchtopError) return err;
  return new BenchtopError(
    'STORAGE_ERROR',
    `PostgreSQL alarm history: cannot ${what}: ${(err as Error).message}`,
    { sqlState: (err as { code?: string }).code },
    { cause: err },
  );
}
