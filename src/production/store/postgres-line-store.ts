import pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';
import { migratePostgres, postgresSchemaStatus } from '../../storage/postgres/postgres-migrations.ts';
import { isHypertable, setUpTimescaleTables } from '../../storage/postgres/timescale-tables.ts';
import type { DefectRecord, LineEvent, LineState, PartRecord } from '../line-records.ts';
import { postgresLineMigrations, TIMESERIES_TABLES } from './line-migrations.ts';
import type {
  DispositionChange,
  LineAuditEntry,
  LineStore,
  LineWindow,
  LineWriteBatch,
  SchemaStatus,
} from './line-store.ts';

export interface PostgresLineStoreOptions {
  url: string;
  /** auto: hypertables when the extension can be created; on: required; off: plain tables. */
  timescaledb: 'auto' | 'on' | 'off';
  /** Days kept (TimescaleDB retention policy, or Benchtop's sweep); 0 keeps forever. */
  retentionDays: number;
  /** false: do not migrate (`benchtop db status`). */
  migrate?: boolean;
  /** Connect timeout for each pooled connection (ms). */
  connectTimeoutMs?: number;
}

const VERSION_TABLE = 'line_schema_version';
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
const PART_COLUMNS = `id, line_id, part_id, sku, batch, station, result, reason, cycle_time_ms, quality_score,
  attempt, measures, ${ms('time')} AS time`;
const DEFECT_COLUMNS = `id, inspection_id, part_id, line_id, station, class, confidence, box, disposition, note,
  disposition_by, ${ms('disposition_at')} AS disposition_at, ${ms('time')} AS time`;
const EVENT_COLUMNS = `id, line_id, ${ms('time')} AS time, kind, state, previous_duration_ms, code, message`;

type Row = Record<string, unknown>;
const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));

function partFromRow(r: Row): PartRecord {
  return {
    id: r.id as string,
    lineId: r.line_id as string,
    partId: r.part_id as string,
    sku: r.sku as string,
    batch: r.batch as string,
    station: r.station as string,
    result: r.result as PartRecord['result'],
    reason: (r.reason as string | null) ?? null,
    cycleTimeMs: (r.cycle_time_ms as number | null) ?? null,
    qualityScore: (r.quality_score as number | null) ?? null,
    attempt: r.attempt as number,
    measures: (r.measures as Record<string, number>) ?? {},
    time: round(r.time)!,
  };
}

function defectFromRow(r: Row): DefectRecord {
  return {
    id: r.id as string,
    inspectionId: r.inspection_id as string,
    partId: r.part_id as string,
    lineId: r.line_id as string,
    station: r.station as string,
    class: r.class as string,
    confidence: r.confidence as number,
    box: (r.box as DefectRecord['box']) ?? null,
    disposition: r.disposition as DefectRecord['disposition'],
    note: (r.note as string | null) ?? null,
    dispositionBy: (r.disposition_by as string | null) ?? null,
    dispositionAt: round(r.disposition_at),
    time: round(r.time)!,
  };
}

function eventFromRow(r: Row): LineEvent {
  return {
    id: r.id as string,
    lineId: r.line_id as string,
    time: round(r.time)!,
    kind: r.kind as LineEvent['kind'],
    state: (r.state as LineState | null) ?? null,
    previousDurationMs: (r.previous_duration_ms as number | null) ?? null,
    code: (r.code as string | null) ?? null,
    message: (r.message as string | null) ?? null,
  };
}

/**
 * Parts, defects and line events in PostgreSQL. With TimescaleDB the three are hypertables on
 * `time` with a retention policy; without it they are plain tables with a time index, and
 * `deleteOlderThan` is Benchtop's own retention. Rows go in as unnest() arrays: one short
 * statement per table per batch.
 */
export class PostgresLineStore implements LineStore {
  readonly kind: 'postgres' | 'timescaledb';
  private readonly pool: pg.Pool;

  static async open(options: PostgresLineStoreOptions): Promise<PostgresLineStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    try {
      let timescale = false;
      if (options.migrate !== false) {
        await migratePostgres(pool, VERSION_TABLE, postgresLineMigrations);
        timescale = await setUpTimescaleTables(pool, TIMESERIES_TABLES, options);
      } else {
        timescale = await isHypertable(pool, TIMESERIES_TABLES[0]);
      }
      return new PostgresLineStore(pool, timescale);
    } catch (err) {
      await pool.end();
      if (err instanceof BenchtopError) throw err;
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Cannot open the line store in PostgreSQL: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  }

  private constructor(pool: pg.Pool, timescale: boolean) {
    this.pool = pool;
    this.kind = timescale ? 'timescaledb' : 'postgres';
  }

  async write(batch: LineWriteBatch): Promise<void> {
    const client = await this.connect('write line records');
    try {
      await client.query('BEGIN');
      if (batch.parts.length > 0) {
        const p = batch.parts;
        await client.query(
          `INSERT INTO parts (id, line_id, part_id, sku, batch, station, result, reason, cycle_time_ms, quality_score,
             attempt, measures, time)
           SELECT u.id, u.line_id, u.part_id, u.sku, u.batch, u.station, u.result, u.reason, u.ct, u.qs, u.attempt,
                  u.measures::jsonb, to_timestamp(u.t / 1000)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::float8[], $10::float8[], $11::int[], $12::text[], $13::float8[])
             AS u (id, line_id, part_id, sku, batch, station, result, reason, ct, qs, attempt, measures, t)
           ON CONFLICT DO NOTHING`,
          [
            p.map((x) => x.id),
            p.map((x) => x.lineId),
            p.map((x) => x.partId),
            p.map((x) => x.sku),
            p.map((x) => x.batch),
            p.map((x) => x.station),
            p.map((x) => x.result),
            p.map((x) => x.reason),
            p.map((x) => x.cycleTimeMs),
            p.map((x) => x.qualityScore),
            p.map((x) => x.attempt),
            p.map((x) => JSON.stringify(x.measures)),
            p.map((x) => x.time),
          ],
        );
      }
      if (batch.defects.length > 0) {
        const d = batch.defects;
        await client.query(
          `INSERT INTO defects (id, inspection_id, part_id, line_id, station, class, confidence, box, disposition,
             note, disposition_by, disposition_at, time)
           SELECT u.id, u.inspection_id, u.part_id, u.line_id, u.station, u.class, u.confidence, u.box::jsonb,
                  u.disposition, u.note, u.by, to_timestamp(u.at / 1000), to_timestamp(u.t / 1000)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
                       $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[], $13::float8[])
             AS u (id, inspection_id, part_id, line_id, station, class, confidence, box, disposition, note, by, at, t)
           ON CONFLICT DO NOTHING`,
          [
            d.map((x) => x.id),
            d.map((x) => x.inspectionId),
            d.map((x) => x.partId),
            d.map((x) => x.lineId),
            d.map((x) => x.station),
            d.map((x) => x.class),
            d.map((x) => x.confidence),
            d.map((x) => (x.box ? JSON.stringify(x.box) : null)),
            d.map((x) => x.disposition),
            d.map((x) => x.note),
            d.map((x) => x.dispositionBy),
            d.map((x) => x.dispositionAt),
            d.map((x) => x.time),
          ],
        );
      }
      if (batch.events.length > 0) {
        const e = batch.events;
        await client.query(
          `INSERT INTO line_events (id, line_id, time, kind, state, previous_duration_ms, code, message)
           SELECT u.id, u.line_id, to_timestamp(u.t / 1000), u.kind, u.state, u.dur, u.code, u.message
           FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::float8[], $7::text[],
                       $8::text[]) AS u (id, line_id, t, kind, state, dur, code, message)
           ON CONFLICT DO NOTHING`,
          [
            e.map((x) => x.id),
            e.map((x) => x.lineId),
            e.map((x) => x.time),
            e.map((x) => x.kind),
            e.map((x) => x.state),
            e.map((x) => x.previousDurationMs),
            e.map((x) => x.code),
            e.map((x) => x.message),
          ],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw storageError('write line records', err);
    } finally {
      client.release();
    }
  }

  async parts(w: LineWindow): Promise<PartRecord[]> {
    return (await this.window(`SELECT ${PART_COLUMNS} FROM parts`, w, 'time, attempt', 'read parts')).map(
      partFromRow,
    );
  }

  async defects(w: LineWindow): Promise<DefectRecord[]> {
    return (await this.window(`SELECT ${DEFECT_COLUMNS} FROM defects`, w, 'time, id', 'read defects')).map(
      defectFromRow,
    );
  }

  async events(w: LineWindow): Promise<LineEvent[]> {
    return (
      await this.window(`SELECT ${EVENT_COLUMNS} FROM line_events`, w, 'time, id', 'read line events')
    ).map(eventFromRow);
  }

  async stateBefore(lineId: string, time: number): Promise<LineState | null> {
    const { rows } = await this.run(
      `SELECT state FROM line_events WHERE line_id = $1 AND kind = 'state' AND time < to_timestamp($2::float8 / 1000)
       ORDER BY time DESC LIMIT 1`,
      [lineId, time],
      'read the line state',
    );
    return (rows[0] as { state: LineState } | undefined)?.state ?? null;
  }

  async inspectionCount(lineId: string, partId: string): Promise<number> {
    const { rows } = await this.run(
      'SELECT count(*)::int AS n FROM parts WHERE line_id = $1 AND part_id = $2',
      [lineId, partId],
      'count inspections',
    );
    return (rows[0] as { n: number }).n;
  }

  async defect(id: string): Promise<DefectRecord | undefined> {
    const { rows } = await this.run(
      `SELECT ${DEFECT_COLUMNS} FROM defects WHERE id = $1`,
      [id],
      'read a defect',
    );
    return rows[0] ? defectFromRow(rows[0] as Row) : undefined;
  }

  async dispose(id: string, change: DispositionChange, audit: LineAuditEntry): Promise<DefectRecord> {
    const client = await this.connect('set a disposition');
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE defects SET disposition = $2, note = $3, disposition_by = $4, disposition_at = to_timestamp($5::float8 / 1000)
         WHERE id = $1`,
        [id, change.disposition, change.note, change.by, change.at],
      );
      await client.query(
        `INSERT INTO line_audit (time, "user", action, resource, old_value, new_value)
         VALUES (to_timestamp($1::float8 / 1000), $2, $3, $4, $5::jsonb, $6::jsonb)`,
        [
          audit.time,
          audit.user,
          audit.action,
          audit.resource,
          JSON.stringify(audit.oldValue),
          JSON.stringify(audit.newValue),
        ],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw storageError('set a disposition', err);
    } finally {
      client.release();
    }
    const stored = await this.defect(id);
    if (!stored) throw new BenchtopError('NOT_FOUND', `No defect ${id}`, { defect: id });
    return stored;
  }

  async auditLog(limit: number): Promise<LineAuditEntry[]> {
    const { rows } = await this.run(
      `SELECT ${ms('time')} AS time, "user", action, resource, old_value, new_value FROM line_audit
       ORDER BY seq DESC LIMIT $1`,
      [limit],
      'read the line audit',
    );
    return (rows as Row[]).map((r) => ({
      time: round(r.time)!,
      user: r.user as string,
      action: r.action as string,
      resource: r.resource as string,
      oldValue: r.old_value,
      newValue: r.new_value,
    }));
  }

  async deleteOlderThan(time: number): Promise<number> {
    if (this.kind === 'timescaledb') return 0; // the retention policy drops whole chunks
    let deleted = 0;
    for (const table of TIMESERIES_TABLES) {
      const result = await this.run(
        `DELETE FROM ${table} WHERE time < to_timestamp($1::float8 / 1000)`,
        [time],
        `delete old ${table}`,
      );
      deleted += result.rowCount ?? 0;
    }
    return deleted;
  }

  async status(): Promise<SchemaStatus> {
    return {
      backend: this.kind,
      ...(await postgresSchemaStatus(this.pool, VERSION_TABLE, postgresLineMigrations)),
    };
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async window(select: string, w: LineWindow, order: string, what: string): Promise<Row[]> {
    const { rows } = await this.run(
      `${select} WHERE line_id = $1 AND time >= to_timestamp($2::float8 / 1000) AND time < to_timestamp($3::float8 / 1000)
       ORDER BY ${order}`,
      [w.lineId, w.from, w.to],
      what,
    );
    return rows as Row[];
  }

  private async connect(what: string): Promise<pg.PoolClient> {
    try {
      const client = await this.pool.connect();
      // A connection cut while checked out is also emitted as 'error' on the client; the
      // query in flight rejects with it, which is where it is handled.
      if (client.listenerCount('error') === 0) client.on('error', () => {});
      return client;
    } catch (err) {
      throw storageError(what, err);
    }
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
  return new BenchtopError(
    'STORAGE_ERROR',
    `PostgreSQL line store: cannot ${what}: ${(err as Error).message}`,
    { sqlState: (err as { code?: string }).code },
    { cause: err },
  );
}
