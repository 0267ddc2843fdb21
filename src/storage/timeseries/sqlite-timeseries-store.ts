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
  type SeriesPlan,
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
 * to the event loop between signals because retention may remove hours of data at once, and a
 * query reads at most STEP_ROWS samples per statement, yielding in between, so a year of 1 Hz
 * data (31 million rows) never holds the event loop for more than a few milliseconds at a time.
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
    | 'nthTime'
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
      // Counts no further than it needs to: more than `buckets` means downsampling.
      count: db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM samples WHERE ${range} LIMIT ?)`),
      nthTime: db.prepare(`SELECT time FROM samples WHERE ${range} ORDER BY time LIMIT 1 OFFSET ?`),
      raw: db.prepare(`SELECT time, value, quality FROM samples WHERE ${range} ORDER BY time`),
      // Bound as BigInt so SQLite divides integers (floor for time ≥ from), not doubles.
      buckets: db.prepare(
        `SELECT (time - ?) / ? AS b, min(value) AS min, max(value) AS max, total(value) AS sum,
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
    const series: Series[] = [];
    for (const signal of plan.signals) {
      if (series.length > 0) await nextTurn();
      if (!this.db.isOpen) throw new BenchtopError('STORAGE_ERROR', `${this.path} was closed during a query`);
      const id = this.idOf(signal, false);
      if (id === undefined) {
        series.push({ signal, kind: 'raw', points: [] });
        continue;
      }
      const { n } = this.statements.count.get(id, plan.from, plan.to, plan.buckets + 1) as { n: number };
      if (n <= plan.buckets) {
        const rows = this.statements.raw.all(id, plan.from, plan.to) as unknown as {
          time: number;
          value: number | null;
          quality: string | null;
        }[];
        series.push({ signal, kind: 'raw', points: rows.map(rawPoint) });
        continue;
      }
      series.push({
        signal,
        kind: 'buckets',
        bucketMs: plan.bucketMs,
        buckets: await this.buckets(id, plan),
      });
    }
    return series;
  }

  /**
   * min/max/mean per bucket, STEP_ROWS samples per statement: each step ends at the time of its
   * STEP_ROWS-th sample (an index walk), its partial buckets merge into the result, and the
   * event loop runs before the next step.
   */
  private async buckets(id: number, plan: SeriesPlan): Promise<Bucket[]> {
    const merged: (Omit<Bucket, 'mean'> & { sum: number })[] = [];
    const origin = BigInt(plan.from);
    const width = BigInt(plan.bucketMs);
    let from = plan.from;
    while (from < plan.to) {
      const next = this.statements.nthTime.get(id, from, plan.to, STEP_ROWS) as { time: number } | undefined;
      const to = next?.time ?? plan.to;
      const rows = this.statements.buckets.all(origin, width, id, from, to) as unknown as (Omit<
        Bucket,
        'time' | 'mean'
      > & { b: number; sum: number })[];
      for (const { b, ...part } of rows) {
        const time = plan.from + b * plan.bucketMs;
        const last = merged.at(-1);
        if (last?.time !== time) merged.push({ time, ...part });
        else {
          // A bucket split across two steps.
          last.min =
            last.min === null ? part.min : part.min === null ? last.min : Math.min(last.min, part.min);
          last.max =
            last.max === null ? part.max : part.max === null ? last.max : Math.max(last.max, part.max);
          last.sum += part.sum;
          last.count += part.count;
          last.nulls += part.nulls;
        }
      }
      from = to;
      if (from < plan.to) {
        await nextTurn();
        if (!this.db.isOpen)
          throw new BenchtopError('STORAGE_ERROR', `${this.path} was closed during a query`);
      }
    }
    return merged.map(({ sum, ...b }) => ({ ...b, mean: b.count > 0 ? sum / b.count : null }));
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

/** Samples read per statement of a downsampled query (a few milliseconds of SQLite). */
export const STEP_ROWS = 20_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function rawPoint(row: { time: number; value: number | null; quality: string | null }): RawPoint {
  return row.quality === null
    ? { time: row.time, value: row.value }
    : { time: row.time, value: row.value, quality: row.quality };
}
