import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RunDocument } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import { rollbackIfOpen } from '../sqlite-database.ts';

interface PendingDocument {
  runUid: string;
  seq: number;
  name: RunDocument['name'];
  uid: string;
  json: string;
}

/** Documents written per transaction; a commit per document costs ~6× more (measured). */
const BATCH_SIZE = 500;
/** When the database keeps failing, refuse new documents beyond this many waiting. */
const MAX_PENDING = 20_000;

/**
 * Every document of every run, numbered in arrival order per run (`seq`). Appends are buffered
 * and committed together on the next turn of the event loop, or at once when a batch is full;
 * every read flushes first, so callers always see what they appended.
 */
export class RunDocumentLog {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly lastSeq: StatementSync;
  private readonly descriptorOwner: StatementSync;
  private pending: PendingDocument[] = [];
  private readonly nextSeq = new Map<string, number>();
  /** Events and stream_datum name only their descriptor; this finds the run. */
  private readonly runOfDescriptor = new Map<string, string>();
  private flushScheduled = false;
  private flushError: unknown = null;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insert = db.prepare('INSERT INTO documents (run_uid, seq, name, uid, doc) VALUES (?, ?, ?, ?, ?)');
    this.lastSeq = db.prepare('SELECT max(seq) AS seq FROM documents WHERE run_uid = ?');
    this.descriptorOwner = db.prepare(
      "SELECT run_uid FROM documents WHERE uid = ? AND name = 'descriptor' LIMIT 1",
    );
  }

  append(document: RunDocument): void {
    if (this.pending.length >= MAX_PENDING) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `${this.pending.length} run documents are waiting for the catalog database, which keeps failing`,
        { pending: this.pending.length },
        { cause: this.flushError },
      );
    }
    const runUid = this.runOf(document);
    const seq = this.nextSeq.get(runUid) ?? this.firstFreeSeq(runUid);
    this.nextSeq.set(runUid, seq + 1);
    if (document.name === 'descriptor') this.runOfDescriptor.set(document.doc.uid, runUid);
    this.pending.push({
      runUid,
      seq,
      name: document.name,
      uid: document.doc.uid,
      json: JSON.stringify(document.doc),
    });
    if (this.pending.length >= BATCH_SIZE) this.flush();
    else this.scheduleFlush();
  }

  read(runUid: string, name: RunDocument['name'] | undefined, limit: number, offset: number): RunDocument[] {
    this.flush();
    const sql =
      'SELECT name, doc FROM documents WHERE run_uid = ?' +
      (name ? ' AND name = ?' : '') +
      ' ORDER BY seq LIMIT ? OFFSET ?';
    const params = name ? [runUid, name, limit, offset] : [runUid, limit, offset];
    const rows = this.db.prepare(sql).all(...params) as { name: RunDocument['name']; doc: string }[];
    return rows.map((row) => ({ name: row.name, doc: JSON.parse(row.doc) }) as RunDocument);
  }

  /** Writes everything waiting; throws STORAGE_ERROR (and keeps the documents) if it cannot. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const d of batch) this.insert.run(d.runUid, d.seq, d.name, d.uid, d.json);
        this.db.exec('COMMIT');
      } catch (err) {
        rollbackIfOpen(this.db);
        throw err;
      }
    } catch (err) {
      this.flushError = err;
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Cannot write ${batch.length} run documents to the catalog: ${(err as Error).message}`,
        { pending: batch.length },
        { cause: err },
      );
    }
    this.pending = [];
    this.flushError = null;
  }

  /** The run is closed: drop its bookkeeping (late documents still find it in the database). */
  forgetRun(runUid: string): void {
    this.nextSeq.delete(runUid);
    for (const [descriptor, owner] of this.runOfDescriptor) {
      if (owner === runUid) this.runOfDescriptor.delete(descriptor);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.db.isOpen) return;
      try {
        this.flush();
      } catch {
        // Kept in `pending` with the error; the next append, read or close reports it.
      }
    });
  }

  private firstFreeSeq(runUid: string): number {
    this.flush();
    const row = this.lastSeq.get(runUid) as { seq: number | null };
    return row.seq === null ? 0 : row.seq + 1;
  }

  private runOf(document: RunDocument): string {
    switch (document.name) {
      case 'start':
        return document.doc.uid;
      case 'descriptor':
      case 'stream_resource':
      case 'stop':
        return document.doc.run_start;
      case 'event':
      case 'stream_datum':
        return this.descriptorRun(document.doc.descriptor, document.name, document.doc.uid);
    }
  }

  private descriptorRun(descriptor: string, name: string, uid: string): string {
    const known = this.runOfDescriptor.get(descriptor);
    if (known) return known;
    this.flush();
    const row = this.descriptorOwner.get(descriptor) as { run_uid: string } | undefined;
    if (!row) {
      throw new BenchtopError(
        'RUN_NOT_FOUND',
        `The ${name} document ${uid} names descriptor ${descriptor}, which no recorded run has`,
        { descriptor, document: uid },
      );
    }
    this.runOfDescriptor.set(descriptor, row.run_uid);
    return row.run_uid;
  }
}
