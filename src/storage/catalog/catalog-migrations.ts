import type { Migration } from '../sqlite-database.ts';

/**
 * The catalog's schema history. Append a migration for every change; never edit one that has
 * shipped, since catalogs in the field have already applied it. Times are seconds since the
 * epoch (REAL), as in the run documents.
 */
export const catalogMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'runs and their documents',
    sql: `
      CREATE TABLE runs (
        uid TEXT PRIMARY KEY,
        scan_id INTEGER,
        plan_name TEXT NOT NULL,
        plan_args TEXT NOT NULL,
        metadata TEXT NOT NULL,
        start_time REAL NOT NULL,
        end_time REAL,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'success', 'abort', 'fail', 'interrupted')),
        reason TEXT,
        files TEXT NOT NULL DEFAULT '[]',
        num_events TEXT NOT NULL DEFAULT '{}',
        format TEXT NOT NULL,
        files_deleted_at REAL
      );
      CREATE INDEX runs_by_start ON runs (start_time DESC);
      CREATE INDEX runs_by_status ON runs (status, start_time DESC);
      CREATE INDEX runs_by_plan ON runs (plan_name, start_time DESC);

      -- Rowid table, not WITHOUT ROWID: documents are large rows (events, descriptors).
      CREATE TABLE documents (
        run_uid TEXT NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (run_uid, seq)
      );
      CREATE INDEX documents_by_name ON documents (run_uid, name, seq);
      CREATE INDEX documents_by_uid ON documents (uid);
    `,
  },
];
