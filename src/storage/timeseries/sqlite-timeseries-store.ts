import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { type Migration, openSqliteDatabase, rollbackIfOpen } from '../sqlite-database.ts';
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

export const TIMESERIES_FILE = 'timeseries.sqlite';

/**
 * Samples are keyed (signal_id, time) in a WITHOUT ROWID table, so one signal's samples sit
 * together in time order: a range query is one B-tree seek and a sequential scan, and the
 * signal name is stored once rather than in every row.
 */
const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'signals and samples',
    sql: `
      CREATE TABLE signals (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE samples (
        signal_id INTEGER NOT NULL REFERENCES signals (id),
        time INTEGER NOT NULL,
        value REAL,
        quality TEXT,
        PRIMARY KEY (signal_id, time)
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * The default parameter log: `<output_dir>/timeseries.sqlite`. node:sqlite is synchronous, so
 * each call does its work in one go (a 5000-sample batch is a few milliseconds); deletes yield
 * to the event loop between signals because retention may remove hours of data at once.
 */
export class SqliteTimeSeriesStore implements TimeSeriesStore {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly signalIds = new Map<string, number>();
  private readonly statements: Record<
    | 'insertSignal'
    | 'signalId'
    | 'insertSample'
    | 'count'
    | 'raw'
    | 'buckets'
    | 'allSignals'
    | 'deleteBefore',
    StatementSync
  >;

  static inOutputDir(outputDir: string): SqliteTimeSeriesStore {
    return new SqliteTimeSeriesStore(join(outputDir, TIMESERIES_FILE));
  }

  constructor(path: string) {
    this.path = path;
    this.db = openSqliteDatabase(path, migrations);
    const db = this.db;
    const range = 'signal_id = ? AND time >= ? AND time < ?';
    this.statements = {
      insertSignal: db.prepare('INSERT OR IGNORE INTO signals (name) VALUES (?)'),
      signalId: db.prepare('SELECT id FROM signals WHERE name = ?'),
      insertSample: db.prepare(
        'INSERT OR IGNORE INTO samples (signal_id, time, value, quality) VALUES (?, ?, ?, ?)',
      ),
      count: db.prepare(`SELECT count(*) AS n FROM samples WHERE ${range}`),
      raw: db.prepare(`SELECT time, value, quality FROM samples WHERE ${range} ORDER BY time`),
      // Bound as BigInt so SQLite divides integers (floor for time ≥ from), not doubles.
      buckets: db.prepare(
        `SELECT (time - ?) / ? AS b, min(value) AS min, max(value) AS max, avg(value) AS mean,
                count(value) AS count, count(*) - count(value) AS nulls
         FROM samples WHERE ${range} GROUP BY b ORDER BY b`,
      ),
      allSignals: db.prepare('SELECT id FROM signals'),
      deleteBefore: db.prepare('DELETE FROM samples WHERE signal_id = ? AND time < ?'),
    };
  }

  async insert(samples: readonly Sample[]): Promise<void> {
    const rows = normalizeSamples(samples);
    if (rows.length === 0) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const insert = this.statements.insertSample;
      for (const s of rows) insert.run(this.idOf(s.signal, true)!, s.time, s.value, s.quality ?? null);
      this.db.exec('COMMIT');
    } catch (err) {
      rollbackIfOpen(this.db);
      // A rolled-back signal row must not stay cached under an id another signal may take.
      this.signalIds.clear();
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Cannot write ${rows.length} samples to ${this.path}: ${(err as Error).message}`,
        { path: this.path, samples: rows.length },
        { cause: err },
      );
    }
  }

  async query(query: SeriesQuery): Promise<Series[]> {
    const plan = planSeriesQuery(query);
    return plan.signals.map((signal): Series => {
      const id = this.idOf(signal, false);
      if (id === undefined) return { signal, kind: 'raw', points: [] };
      const { n } = this.statements.count.get(id, plan.from, plan.to) as { n: number };
      if (n <= plan.buckets) {
        const rows = this.statements.raw.all(id, plan.from, plan.to) as unknown as {
          time: number;
          value: number | null;
          quality: string | null;
        }[];
        return { signal, kind: 'raw', points: rows.map(rawPoint) };
      }
      const rows = this.statements.buckets.all(
        BigInt(plan.from),
        BigInt(plan.bucketMs),
        id,
        plan.from,
        plan.to,
      ) as unknown as (Omit<Bucket, 'time'> & { b: number })[];
      return {
        signal,
        kind: 'buckets',
        bucketMs: plan.bucketMs,
        buckets: rows.map(({ b, ...stats }) => ({ time: plan.from + b * plan.bucketMs, ...stats })),
      };
    });
  }

  async deleteOlderThan(time: number): Promise<number> {
    const cutoff = Math.ceil(time);
    let deleted = 0;
    const ids = this.statements.allSignals.all() as { id: number }[];
    for (const { id } of ids) {
      // One signal at a time through the primary key, yielding in between so ticks run.
      deleted += Number(this.statements.deleteBefore.run(id, cutoff).changes);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.db.isOpen) break;
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  private idOf(signal: string, create: boolean): number | undefined {
    const cached = this.signalIds.get(signal);
    if (cached !== undefined) return cached;
    if (create) this.statements.insertSignal.run(signal);
    const row = this.statements.signalId.get(signal) as { id: number } | undefined;
    if (row) this.signalIds.set(signal, row.id);
    return row?.id;
  }
}

function rawPoint(row: { time: number; value: number | null; quality: string | null }): RawPoint {
  return row.quality === null
    ? { time: row.time, value: row.value }
    : { time: row.time, value: row.value, quality: row.quality };
}
