import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { openSqliteDatabase, schemaVersion } from '../../storage/sqlite-database.ts';
import type { DefectRecord, LineEvent, LineState, PartRecord } from '../line-records.ts';
import { sqliteLineMigrations } from './line-migrations.ts';
import type {
  DispositionChange,
  LineAuditEntry,
  LineStore,
  LineWindow,
  LineWriteBatch,
  SchemaStatus,
} from './line-store.ts';

type Row = Record<string, SQLInputValue>;

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const parsed = <T>(text: SQLInputValue): T | null =>
  typeof text === 'string' ? (JSON.parse(text) as T) : null;
const num = (v: SQLInputValue) => (v === null ? null : Number(v));
const str = (v: SQLInputValue) => (v === null ? null : String(v));

export function partFromRow(r: Row): PartRecord {
  return {
    id: String(r.id),
    lineId: String(r.line_id),
    partId: String(r.part_id),
    sku: String(r.sku),
    batch: String(r.batch),
    station: String(r.station),
    result: String(r.result) as PartRecord['result'],
    reason: str(r.reason),
    cycleTimeMs: num(r.cycle_time_ms),
    qualityScore: num(r.quality_score),
    attempt: Number(r.attempt),
    measures: parsed<Record<string, number>>(r.measures) ?? {},
    time: Number(r.time),
  };
}

function defectFromRow(r: Row): DefectRecord {
  return {
    id: String(r.id),
    inspectionId: String(r.inspection_id),
    partId: String(r.part_id),
    lineId: String(r.line_id),
    station: String(r.station),
    class: String(r.class),
    confidence: Number(r.confidence),
    box: parsed(r.box),
    disposition: String(r.disposition) as DefectRecord['disposition'],
    note: str(r.note),
    dispositionBy: str(r.disposition_by),
    dispositionAt: num(r.disposition_at),
    time: Number(r.time),
  };
}

function eventFromRow(r: Row): LineEvent {
  return {
    id: String(r.id),
    lineId: String(r.line_id),
    time: Number(r.time),
    kind: String(r.kind) as LineEvent['kind'],
    state: str(r.state) as LineState | null,
    previousDurationMs: num(r.previous_duration_ms),
    code: str(r.code),
    message: str(r.message),
  };
}

/** The line store in `<output_dir>/production.sqlite`: the single-machine default. */
export class SqliteLineStore implements LineStore {
  readonly kind = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly path: string;

  /** Opens the file, applying any migrations not yet applied. */
  constructor(path: string) {
    this.path = path;
    this.db = openSqliteDatabase(path, sqliteLineMigrations);
  }

  async write(batch: LineWriteBatch): Promise<void> {
    const part = this.db.prepare(
      `INSERT OR IGNORE INTO parts (id, line_id, part_id, sku, batch, station, result, reason, cycle_time_ms,
        quality_score, attempt, measures, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const defect = this.db.prepare(
      `INSERT OR IGNORE INTO defects (id, inspection_id, part_id, line_id, station, class, confidence, box,
        disposition, note, disposition_by, disposition_at, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const event = this.db.prepare(
      `INSERT OR IGNORE INTO line_events (id, line_id, time, kind, state, previous_duration_ms, code, message)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction('write line records', () => {
      for (const p of batch.parts)
        part.run(
          p.id,
          p.lineId,
          p.partId,
          p.sku,
          p.batch,
          p.station,
          p.result,
          p.reason,
          p.cycleTimeMs,
          p.qualityScore,
          p.attempt,
          JSON.stringify(p.measures),
          p.time,
        );
      for (const d of batch.defects)
        defect.run(
          d.id,
          d.inspectionId,
          d.partId,
          d.lineId,
          d.station,
          d.class,
          d.confidence,
          json(d.box),
          d.disposition,
          d.note,
          d.dispositionBy,
          d.dispositionAt,
          d.time,
        );
      for (const e of batch.events)
        event.run(e.id, e.lineId, e.time, e.kind, e.state, e.previousDurationMs, e.code, e.message);
    });
  }

  async parts(w: LineWindow): Promise<PartRecord[]> {
    return this.select(
      'SELECT * FROM parts WHERE line_id = ? AND time >= ? AND time < ? ORDER BY time, attempt',
      w,
    ).map(partFromRow);
  }

  async defects(w: LineWindow): Promise<DefectRecord[]> {
    return this.select(
      'SELECT * FROM defects WHERE line_id = ? AND time >= ? AND time < ? ORDER BY time, id',
      w,
    ).map(defectFromRow);
  }

  async events(w: LineWindow): Promise<LineEvent[]> {
    return this.select(
      'SELECT * FROM line_events WHERE line_id = ? AND time >= ? AND time < ? ORDER BY time, id',
      w,
    ).map(eventFromRow);
  }

  async stateBefore(lineId: string, time: number): Promise<LineState | null> {
    const row = this.db
      .prepare(
        `SELECT state FROM line_events WHERE line_id = ? AND kind = 'state' AND time < ? ORDER BY time DESC LIMIT 1`,
      )
      .get(lineId, time) as { state: LineState } | undefined;
    return row?.state ?? null;
  }

  async inspectionCount(lineId: string, partId: string): Promise<number> {
    const row = this.db
      .prepare('SELECT count(*) AS n FROM parts WHERE line_id = ? AND part_id = ?')
      .get(lineId, partId) as { n: number };
    return Number(row.n);
  }

  async defect(id: string): Promise<DefectRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM defects WHERE id = ?').get(id) as Row | undefined;
    return row ? defectFromRow(row) : undefined;
  }

  async dispose(id: string, change: DispositionChange, audit: LineAuditEntry): Promise<DefectRecord> {
    this.transaction('set a disposition', () => {
      this.db
        .prepare(
          'UPDATE defects SET disposition = ?, note = ?, disposition_by = ?, disposition_at = ? WHERE id = ?',
        )
        .run(change.disposition, change.note, change.by, change.at, id);
      this.db
        .prepare(
          'INSERT INTO line_audit (time, user, action, resource, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          audit.time,
          audit.user,
          audit.action,
          audit.resource,
          json(audit.oldValue),
          json(audit.newValue),
        );
    });
    const stored = await this.defect(id);
    if (!stored) throw new BenchtopError('NOT_FOUND', `No defect ${id}`, { defect: id });
    return stored;
  }

  async auditLog(limit: number): Promise<LineAuditEntry[]> {
    const rows = this.db.prepare('SELECT * FROM line_audit ORDER BY seq DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => ({
      time: Number(r.time),
      user: String(r.user),
      action: String(r.action),
      resource: String(r.resource),
      oldValue: parsed(r.old_value),
      newValue: parsed(r.new_value),
    }));
  }

  async deleteOlderThan(time: number): Promise<number> {
    let deleted = 0;
    this.transaction('delete old line records', () => {
      for (const table of ['defects', 'parts', 'line_events'])
        deleted += Number(this.db.prepare(`DELETE FROM ${table} WHERE time < ?`).run(time).changes);
    });
    return deleted;
  }

  async status(): Promise<SchemaStatus> {
    const applied = (
      this.db
        .prepare('SELECT version, description, applied_at FROM schema_version ORDER BY version')
        .all() as Row[]
    ).map((r) => ({
      version: Number(r.version),
      description: String(r.description),
      appliedAt: String(r.applied_at),
    }));
    return {
      backend: 'sqlite',
      version: schemaVersion(this.db),
      latest: sqliteLineMigrations.length,
      applied,
    };
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  private select(sql: string, w: LineWindow): Row[] {
    return this.db.prepare(sql).all(w.lineId, w.from, w.to) as Row[];
  }

  private transaction(what: string, body: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      body();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw new BenchtopError(
        'STORAGE_ERROR',
        `${this.path}: cannot ${what}: ${(err as Error).message}`,
        {
          path: this.path,
        },
        { cause: err },
      );
    }
  }
}
