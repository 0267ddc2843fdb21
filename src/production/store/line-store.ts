import type { SchemaStatus } from '../../storage/schema-status.ts';
import type { DefectRecord, Disposition, LineEvent, LineState, PartRecord } from '../line-records.ts';

/** What one tracked part (or one line event) adds to the store, written in one transaction. */
export interface LineWriteBatch {
  parts: PartRecord[];
  defects: DefectRecord[];
  events: LineEvent[];
}

export interface LineWindow {
  lineId: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

export interface DispositionChange {
  disposition: Exclude<Disposition, 'pending'>;
  note: string | null;
  by: string;
  at: number;
}

/** One audited action on line data (who changed what, from what to what). */
export interface LineAuditEntry {
  time: number;
  user: string;
  action: string;
  resource: string;
  oldValue: unknown;
  newValue: unknown;
}

export type { SchemaStatus } from '../../storage/schema-status.ts';

/**
 * The production line's store: parts, defects, line events and the audit of dispositions. Two
 * implementations, embedded SQLite (default) and PostgreSQL (TimescaleDB hypertables when the
 * extension exists). Writes are idempotent by record id, so a batch retried after a failure
 * whose commit did in fact land is not stored twice.
 */
export interface LineStore {
  readonly kind: SchemaStatus['backend'];
  write(batch: LineWriteBatch): Promise<void>;
  parts(window: LineWindow): Promise<PartRecord[]>;
  defects(window: LineWindow): Promise<DefectRecord[]>;
  events(window: LineWindow): Promise<LineEvent[]>;
  /** The last recorded state change before `time`, to start a window's state intervals. */
  stateBefore(lineId: string, time: number): Promise<LineState | null>;
  /** How many inspections of this part are stored (the next one's attempt is this + 1). */
  inspectionCount(lineId: string, partId: string): Promise<number>;
  defect(id: string): Promise<DefectRecord | undefined>;
  /** Sets a defect's disposition and writes the audit entry in the same transaction. */
  dispose(id: string, change: DispositionChange, audit: LineAuditEntry): Promise<DefectRecord>;
  auditLog(limit: number): Promise<LineAuditEntry[]>;
  /** Benchtop's own retention (plain tables); a no-op count of 0 where TimescaleDB's policy does it. */
  deleteOlderThan(time: number): Promise<number>;
  status(): Promise<SchemaStatus>;
  close(): Promise<void>;
}
