import pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';
import { copyFromStdin, encodeSamplesBinary } from './postgres-copy.ts';
import {
  type Bucket,
  normalizeSamples,
  planSeriesQuery,
  type RawPoint,
  type Sample,
  type Series,
  type SeriesQuery,
  type TimeSeriesStore,
} from './timeseries-store.ts';

export interface PostgresTimeSeriesOptions {
  url: string;
  /** auto: a hypertable when the extension can be created; on: required; off: never. */
  timescaledb: 'auto' | 'on' | 'off';
  /** Schema holding the table; default: the connection's search_path (usually public). */
  schema?: string;
  table?: string;
}

const COLUMNS = 'signal, time, value, quality';
const UNIQUE_VIOLATION = '23505';
/** The per-session table a batch with already-stored samples is merged through. */
const STAGING = 'benchtop_parameter_log_staging';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The parameter log in PostgreSQL, for sites that already run it (and Grafana on top): one
 * row per sample with the signal name as text, keyed (signal, time). With TimescaleDB the table
 * is a hypertable and downsampling uses `time_bucket`; otherwise `date_bin` (PostgreSQL 14+).
 */
export class PostgresTimeSeriesStore implements TimeSeriesStore {
  readonly kind: 'postgres' | 'timescaledb';
  /** The quoted, schema-qualified table name. */
  readonly table: string;
  private readonly pool: pg.Pool;
  private readonly bucketFunction: 'time_bucket' | 'date_bin';

  /** Connects, creates the table if needed and decides on TimescaleDB. */
  static async connect(options: PostgresTimeSeriesOptions): Promise<PostgresTimeSeriesStore> {
    const tableName = options.table ?? 'parameter_log';
    for (const [what, name] of [
      ['schema', options.schema],
      ['table', tableName],
    ] as const) {
      if (name !== undefined && !IDENTIFIER.test(name)) {
        throw new BenchtopError(
          'CONFIG_INVALID',
          `storage.postgres ${what} ${JSON.stringify(name)} must be letters, digits and _`,
          { [what]: name },
        );
      }
    }
    const table = options.schema ? `"${options.schema}"."${tableName}"` : `"${tableName}"`;
    const pool = new pg.Pool({ connectionString: options.url, max: 4 });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    try {
      const timescale = await setUpTable(pool, table, tableName, options);
      return new PostgresTimeSeriesStore(pool, table, timescale);
    } catch (err) {
      await pool.end();
      if (err instanceof BenchtopError) throw err;
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Cannot set up the parameter log table ${table} in PostgreSQL: ${(err as Error).message}`,
        { table },
        { cause: err },
      );
    }
  }

  private constructor(pool: pg.Pool, table: string, timescale: boolean) {
    this.pool = pool;
    this.table = table;
    this.kind = timescale ? 'timescaledb' : 'postgres';
    this.bucketFunction = timescale ? 'time_bucket' : 'date_bin';
  }

  /**
   * One binary `COPY` per batch straight into the table: the fastest path PostgreSQL has, near
   * `psql \copy` of the same rows. COPY has no ON CONFLICT, so a batch holding a sample that is
   * already stored (a redelivered batch) fails as a whole with a unique violation, leaving
   * nothing behind; that batch is then copied into a session-local staging table and merged with
   * `INSERT … ON CONFLICT DO NOTHING`, so redelivery stays harmless at the cost of a second pass
   * for that batch only.
   */
  async insert(samples: readonly Sample[]): Promise<void> {
    const rows = normalizeSamples(samples);
    if (rows.length === 0) return;
    const payload = encodeSamplesBinary(rows);
    const what = `write ${rows.length} samples`;
    const client = await this.connection(what);
    let broken = false;
    try {
      try {
        await copyFromStdin(client, `COPY ${this.table} (${COLUMNS}) FROM STDIN (FORMAT binary)`, payload);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      }
      await this.merge(client, payload);
    } catch (err) {
      broken = (err as { code?: string }).code === undefined; // a socket error, not a server reply
      throw storageError(this.table, what, err);
    } finally {
      client.release(broken);
    }
  }

  /** Copies `payload` into the staging table and adds the samples not stored yet, in one transaction. */
  private async merge(client: pg.PoolClient, payload: Buffer): Promise<void> {
    await client.query('BEGIN');
    try {
      // Temporary: no WAL, visible to this session only; emptied at each commit.
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (LIKE ${this.table}) ON COMMIT DELETE ROWS`,
      );
      await copyFromStdin(client, `COPY ${STAGING} (${COLUMNS}) FROM STDIN (FORMAT binary)`, payload);
      await client.query(
        `INSERT INTO ${this.table} (${COLUMNS}) SELECT ${COLUMNS} FROM ${STAGING} ON CONFLICT (signal, time) DO NOTHING`,
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  private async connection(what: string): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw storageError(this.table, what, err);
    }
  }

  async query(query: SeriesQuery): Promise<Series[]> {
    const plan = planSeriesQuery(query);
    const range =
      'signal = ANY($1) AND time >= to_timestamp($2::float8 / 1000) AND time < to_timestamp($3::float8 / 1000)';
    const rangeParams = [plan.signals, plan.from, plan.to];
    const counts = await this.run(
      `SELECT signal, count(*)::int AS n FROM ${this.table} WHERE ${range} GROUP BY signal`,
      rangeParams,
      'count samples',
    );
    const dense = new Set<string>(
      (counts.rows as { signal: string; n: number }[]).filter((r) => r.n > plan.buckets).map((r) => r.signal),
    );
    const sparse = plan.signals.filter((s) => !dense.has(s));

    const points = new Map<string, RawPoint[]>(sparse.map((s) => [s, []]));
    if (sparse.length > 0) {
      const raw = await this.run(
        `SELECT signal, (extract(epoch FROM time) * 1000)::float8 AS time, value, quality
         FROM ${this.table} WHERE ${range} ORDER BY signal, time`,
        [sparse, plan.from, plan.to],
        'read samples',
      );
      for (const row of raw.rows as {
        signal: string;
        time: number;
        value: number | null;
        quality: string | null;
      }[]) {
        const point: RawPoint = { time: Math.round(row.time), value: row.value };
        if (row.quality !== null) point.quality = row.quality;
        points.get(row.signal)!.push(point);
      }
    }

    const buckets = new Map<string, Bucket[]>([...dense].map((s) => [s, []]));
    if (dense.size > 0) {
      const bucketed = await this.run(
        `SELECT signal, (extract(epoch FROM b) * 1000)::float8 AS time, min(value) AS min, max(value) AS max,
                avg(value) AS mean, count(value)::int AS count, (count(*) - count(value))::int AS nulls
         FROM (
           SELECT signal, value,
                  ${this.bucketFunction}(make_interval(secs => $4::float8 / 1000), time,
                                         to_timestamp($2::float8 / 1000)) AS b
           FROM ${this.table} WHERE ${range}
         ) AS s
         GROUP BY signal, b ORDER BY signal, b`,
        [[...dense], plan.from, plan.to, plan.bucketMs],
        'downsample samples',
      );
      for (const row of bucketed.rows as (Bucket & { signal: string })[]) {
        const { signal, ...bucket } = row;
        buckets.get(signal)!.push({ ...bucket, time: Math.round(bucket.time) });
      }
    }

    return plan.signals.map((signal): Series => {
      const b = buckets.get(signal);
      return b
        ? { signal, kind: 'buckets', bucketMs: plan.bucketMs, buckets: b }
        : { signal, kind: 'raw', points: points.get(signal)! };
    });
  }

  async deleteOlderThan(time: number): Promise<number> {
    const result = await this.run(
      `DELETE FROM ${this.table} WHERE time < to_timestamp($1::float8 / 1000)`,
      [Math.ceil(time)],
      'delete old samples',
    );
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async run(sql: string, params: unknown[], what: string): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, params);
    } catch (err) {
      throw storageError(this.table, what, err);
    }
  }
}

function storageError(table: string, what: string, err: unknown): BenchtopError {
  return new BenchtopError(
    'STORAGE_ERROR',
    `PostgreSQL parameter log ${table}: cannot ${what}: ${(err as Error).message}`,
    { table, sqlState: (err as { code?: string }).code },
    { cause: err },
  );
}

/** Returns whether the table is a TimescaleDB hypertable. */
async function setUpTable(
  pool: pg.Pool,
  table: string,
  tableName: string,
  options: PostgresTimeSeriesOptions,
): Promise<boolean> {
  let timescale = false;
  if (options.timescaledb !== 'off') {
    try {
      // Outside a transaction on purpose: a failure here must leave nothing half-done.
      await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      timescale = true;
    } catch (err) {
      if (options.timescaledb === 'on') {
        throw new BenchtopError(
          'STORAGE_ERROR',
          `storage.postgres.timescaledb is "on" but the extension cannot be created: ${(err as Error).message}`,
          { sqlState: (err as { code?: string }).code },
          { cause: err },
        );
      }
    }
  }
  if (!timescale) {
    const { rows } = await pool.query('SHOW server_version_num');
    const version = Number((rows[0] as { server_version_num: string }).server_version_num);
    if (version < 140000) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `The parameter log needs PostgreSQL 14 or newer (date_bin) or TimescaleDB; the server is ${version}`,
        { serverVersion: version },
      );
    }
  }
  if (options.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       signal text NOT NULL,
       time timestamptz NOT NULL,
       value double precision,
       quality text,
       PRIMARY KEY (signal, time)
     )`,
  );
  if (timescale) {
    await pool.query(
      `SELECT create_hypertable($1::regclass, 'time', if_not_exists => TRUE, migrate_data => TRUE)`,
      [table],
    );
  } else {
    // Retention deletes by time alone, which the (signal, time) key cannot serve.
    await pool.query(`CREATE INDEX IF NOT EXISTS "${tableName}_time_idx" ON ${table} (time)`);
  }
  return timescale;
}
