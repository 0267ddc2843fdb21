import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RunDocument, RunStart, RunStop } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import { openSqliteDatabase } from '../sqlite-database.ts';
import { catalogMigrations } from './catalog-migrations.ts';
import { RunDocumentLog } from './run-document-log.ts';
import { type RunRecord, type RunRow, runFromRow } from './run-record.ts';
import { pageOf, type RunSearch, runSearchFilter } from './run-search.ts';

export const CATALOG_FILE = 'catalog.sqlite';

export interface DocumentQuery {
  /** Only documents of this kind (`event`, `descriptor`, …). */
  name?: RunDocument['name'];
  /** Default 1000, at most 10000. */
  limit?: number;
  offset?: number;
}

const DEFAULT_DOCUMENT_LIMIT = 1000;
const MAX_DOCUMENT_LIMIT = 10_000;

/**
 * The list of runs at `<output_dir>/catalog.sqlite`: one row per run with its plan, metadata,
 * status and files, plus every document of the run. The run engine calls `recordStart` when a
 * run opens and `recordStop` once its writer has closed; documents arrive through `document`.
 * At start-up `markInterrupted` closes entries a crashed process left `running`.
 */
export class RunCatalog {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly documentLog: RunDocumentLog;
  /** Stops that could not be written yet (the disk was full), by run uid. */
  private readonly heldStops = new Map<string, { stop: RunStop; files: string[] }>();
  private readonly statements: Record<
    'insertRun' | 'stopRun' | 'getRun' | 'setFiles' | 'markInterrupted' | 'markFilesDeleted' | 'expired',
    StatementSync
  >;

  static inOutputDir(outputDir: string): RunCatalog {
    return new RunCatalog(join(outputDir, CATALOG_FILE));
  }

  constructor(path: string) {
    this.path = path;
    this.db = openSqliteDatabase(path, catalogMigrations);
    this.documentLog = new RunDocumentLog(this.db);
    const db = this.db;
    this.statements = {
      insertRun: db.prepare(
        `INSERT INTO runs (uid, scan_id, plan_name, plan_args, metadata, start_time, status, format)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`,
      ),
      stopRun: db.prepare(
        `UPDATE runs SET status = ?, reason = ?, end_time = ?, num_events = ?, files = ?
         WHERE uid = ? AND status = 'running'`,
      ),
      getRun: db.prepare('SELECT * FROM runs WHERE uid = ?'),
      setFiles: db.prepare('UPDATE runs SET files = ? WHERE uid = ?'),
      markInterrupted: db.prepare(
        `UPDATE runs SET status = 'interrupted', reason = ? WHERE status = 'running' RETURNING uid`,
      ),
      markFilesDeleted: db.prepare(
        'UPDATE runs SET files_deleted_at = ? WHERE uid = ? AND files_deleted_at IS NULL',
      ),
      expired: db.prepare(
        `SELECT * FROM runs
         WHERE status != 'running' AND files_deleted_at IS NULL AND json_array_length(files) > 0
           AND coalesce(end_time, start_time) < ?
         ORDER BY start_time, uid LIMIT ? OFFSET ?`,
      ),
    };
  }

  /** A new run; its uid must be new. */
  recordStart(start: RunStart, format: string): RunRecord {
    this.writeHeldStops();
    try {
      this.statements.insertRun.run(
        start.uid,
        start.scan_id ?? null,
        start.plan_name,
        JSON.stringify(start.plan_args ?? {}),
        JSON.stringify(start.metadata ?? {}),
        start.time,
        format,
      );
    } catch (err) {
      if (this.get(start.uid)) {
        throw new BenchtopError('RUN_STATE_CONFLICT', `Run ${start.uid} is already in the catalog`, {
          uid: start.uid,
        });
      }
      throw storageError(`Cannot record the start of run ${start.uid}`, err, { uid: start.uid });
    }
    return this.mustGet(start.uid);
  }

  /**
   * Closes a running entry with the stop document's outcome; `files` join those already listed.
   * A stop that cannot be written (disk full) is kept and written by the next start, stop or
   * close, so a run does not stay `running` (and become `interrupted`) for lack of space.
   */
  recordStop(stop: RunStop, files: string[]): RunRecord {
    this.writeHeldStops();
    try {
      return this.writeStop(stop, files);
    } catch (err) {
      if (err instanceof BenchtopError && (err.code === 'RUN_STATE_CONFLICT' || err.code === 'RUN_NOT_FOUND'))
        throw err;
      this.heldStops.set(stop.run_start, { stop, files });
      throw err;
    }
  }

  /** Writes stops kept because the database could not be written; keeps those that still fail. */
  private writeHeldStops(): void {
    for (const [uid, { stop, files }] of this.heldStops) {
      try {
        this.writeStop(stop, files);
        this.heldStops.delete(uid);
      } catch (err) {
        if (err instanceof BenchtopError && err.code === 'RUN_STATE_CONFLICT') this.heldStops.delete(uid);
        else return;
      }
    }
  }

  private writeStop(stop: RunStop, files: string[]): RunRecord {
    this.documentLog.flush();
    const run = this.mustGet(stop.run_start);
    if (run.status !== 'running') {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `Run ${run.uid} is already closed (${run.status}); cannot record its stop`,
        { uid: run.uid, status: run.status },
      );
    }
    this.statements.stopRun.run(
      stop.exit_status,
      stop.reason,
      stop.time,
      JSON.stringify(stop.num_events ?? {}),
      JSON.stringify(union(run.files, files)),
      run.uid,
    );
    this.documentLog.forgetRun(run.uid);
    return this.mustGet(run.uid);
  }

  /** Adds files (paths relative to output_dir) to a run, e.g. when a writer rolls over. */
  addFiles(uid: string, files: string[]): RunRecord {
    const run = this.mustGet(uid);
    this.statements.setFiles.run(JSON.stringify(union(run.files, files)), uid);
    return this.mustGet(uid);
  }

  get(uid: string): RunRecord | undefined {
    const row = this.statements.getRun.get(uid) as RunRow | undefined;
    return row ? runFromRow(row) : undefined;
  }

  /** Newest first. */
  search(search: RunSearch = {}): RunRecord[] {
    const { where, params } = runSearchFilter(search);
    const { limit, offset } = pageOf(search);
    const rows = this.db
      .prepare(`SELECT * FROM runs ${where} ORDER BY start_time DESC, uid LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as unknown as RunRow[];
    return rows.map(runFromRow);
  }

  /** How many runs match, ignoring limit and offset. */
  count(search: Omit<RunSearch, 'limit' | 'offset'> = {}): number {
    const { where, params } = runSearchFilter(search);
    const row = this.db.prepare(`SELECT count(*) AS n FROM runs ${where}`).get(...params) as { n: number };
    return row.n;
  }

  /**
   * Call once at start-up, before any run starts: entries still `running` belong to a process
   * that died (crash, power loss, SIGKILL) and become `interrupted`. Returns their uids.
   */
  markInterrupted(reason = 'Benchtop stopped while the run was in progress'): string[] {
    const rows = this.statements.markInterrupted.all(reason) as { uid: string }[];
    return rows.map((r) => r.uid);
  }

  /**
   * Events of a run per stream (descriptor) name, from its documents: what a stop document
   * written after the fact says in `num_events`.
   */
  eventCounts(uid: string): Record<string, number> {
    this.documentLog.flush();
    const rows = this.db
      .prepare(
        `SELECT json_extract(d.doc, '$.name') AS stream, count(*) AS n
         FROM documents e JOIN documents d
           ON d.run_uid = e.run_uid AND d.name = 'descriptor' AND d.uid = json_extract(e.doc, '$.descriptor')
         WHERE e.run_uid = ? AND e.name = 'event'
         GROUP BY stream`,
      )
      .all(uid) as { stream: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.stream, Number(r.n)]));
  }

  /** Stores one document of a run, in arrival order. Written in batches; reads see it at once. */
  document(doc: RunDocument): void {
    this.documentLog.append(doc);
  }

  documents(uid: string, query: DocumentQuery = {}): RunDocument[] {
    this.mustGet(uid);
    const limit = query.limit ?? DEFAULT_DOCUMENT_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DOCUMENT_LIMIT) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `limit must be an integer 1–${MAX_DOCUMENT_LIMIT}; got ${limit}`,
        { field: 'limit', value: limit },
      );
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new BenchtopError('VALIDATION_FAILED', `offset must be an integer ≥ 0; got ${offset}`, {
        field: 'offset',
        value: offset,
      });
    }
    return this.documentLog.read(uid, query.name, limit, offset);
  }

  /**
   * Runs whose files retention should remove: ended (or, if interrupted, started) before `time`,
   * files still listed and not yet removed. Oldest first.
   */
  runsWithFilesEndedBefore(time: number, limit = 100, offset = 0): RunRecord[] {
    const rows = this.statements.expired.all(time, limit, offset) as unknown as RunRow[];
    return rows.map(runFromRow);
  }

  /** Records that a run's files were removed; the entry and its documents stay. */
  markFilesDeleted(uid: string, time: number): void {
    this.statements.markFilesDeleted.run(time, uid);
  }

  close(): void {
    if (!this.db.isOpen) return;
    try {
      this.documentLog.flush();
      this.writeHeldStops();
      if (this.heldStops.size > 0)
        throw new BenchtopError(
          'STORAGE_ERROR',
          `the stop of ${this.heldStops.size} run(s) could not be written to the catalog`,
          { runs: [...this.heldStops.keys()] },
        );
    } finally {
      // Closed even when the last documents cannot be written (disk full): the caller hears why.
      this.db.close();
    }
  }

  private mustGet(uid: string): RunRecord {
    const run = this.get(uid);
    if (!run) throw new BenchtopError('RUN_NOT_FOUND', `No run ${uid} in the catalog`, { uid });
    return run;
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function storageError(message: string, err: unknown, details: Record<string, unknown>): BenchtopError {
  return new BenchtopError('STORAGE_ERROR', message, details, { cause: err });
}
