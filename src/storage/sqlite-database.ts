import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BenchtopError } from '../core/errors.ts';

/** One schema change. Versions start at 1 and increase by one; applied ones are never edited. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Opens (creating if needed) a SQLite database for Benchtop: WAL so readers (the API) never
 * wait for the writer, `synchronous=NORMAL` (durable at checkpoints, no fsync per commit,
 * which is what WAL makes safe), a busy timeout for a second process such as a backup, and the
 * migrations not yet applied, each in its own transaction, recorded in `schema_version`.
 */
export function openSqliteDatabase(path: string, migrations: readonly Migration[]): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: 5_000 });
  } catch (err) {
    throw new BenchtopError('STORAGE_ERROR', `Cannot open SQLite database ${path}`, { path }, { cause: err });
  }
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    applyMigrations(db, path, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function applyMigrations(db: DatabaseSync, path: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  const current = row.version ?? 0;
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) {
    throw new BenchtopError(
      'STORAGE_ERROR',
      `${path} has schema version ${current}, newer than this Benchtop understands (${known}); ` +
        'it was written by a newer release',
      { path, version: current, supported: known },
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const [index, migration] of migrations.entries()) {
    if (migration.version !== index + 1) {
      throw new BenchtopError('INTERNAL', `Migration ${index} of ${path} has version ${migration.version}`);
    }
    if (migration.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration.sql);
      record.run(migration.version, migration.description, new Date().toISOString());
      db.exec('COMMIT');
    } catch (err) {
      rollbackIfOpen(db);
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Migration ${migration.version} (${migration.description}) of ${path} failed`,
        { path, version: migration.version },
        { cause: err },
      );
    }
  }
}

/**
 * Rolls back the open transaction, if there still is one. SQLite rolls back by itself on some
 * errors (SQLITE_FULL: the disk is full); a plain ROLLBACK then throws "cannot rollback - no
 * transaction is active" and hides the real cause.
 */
export function rollbackIfOpen(db: DatabaseSync): void {
  if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
}

/** Current schema version of an open database (0 before any migration). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}
