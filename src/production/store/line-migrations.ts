import type { Migration } from '../../storage/sqlite-database.ts';

/**
 * The line store's schema history, one list per dialect with the same versions. Append a
 * migration for every change; never edit one that has shipped. SQLite keeps times as epoch ms
 * (INTEGER); PostgreSQL as timestamptz. Primary keys include the time column because a
 * TimescaleDB hypertable needs its partitioning column in every unique index.
 */
export const sqliteLineMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'parts, defects, line events, line audit',
    sql: `
      CREATE TABLE parts (
        id TEXT PRIMARY KEY,
        line_id TEXT NOT NULL,
        part_id TEXT NOT NULL,
        sku TEXT NOT NULL,
        batch TEXT NOT NULL,
        station TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'rework', 'pending')),
        reason TEXT,
        cycle_time_ms REAL,
        quality_score REAL,
        attempt INTEGER NOT NULL DEFAULT 1,
        measures TEXT NOT NULL DEFAULT '{}',
        time INTEGER NOT NULL
      );
      CREATE INDEX parts_by_line_time ON parts (line_id, time);
      CREATE INDEX parts_by_part ON parts (line_id, part_id);
      CREATE INDEX parts_by_batch ON parts (batch);

      CREATE TABLE defects (
        id TEXT PRIMARY KEY,
        inspection_id TEXT NOT NULL,
        part_id TEXT NOT NULL,
        line_id TEXT NOT NULL,
        station TEXT NOT NULL,
        class TEXT NOT NULL,
        confidence REAL NOT NULL,
        box TEXT,
        disposition TEXT NOT NULL DEFAULT 'pending'
          CHECK (disposition IN ('pending', 'accept', 'reject', 'rework')),
        note TEXT,
        disposition_by TEXT,
        disposition_at INTEGER,
        time INTEGER NOT NULL
      );
      CREATE INDEX defects_by_line_time ON defects (line_id, time);
      CREATE INDEX defects_by_class ON defects (class);

      CREATE TABLE line_events (
        id TEXT PRIMARY KEY,
        line_id TEXT NOT NULL,
        time INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'alarm_raised', 'alarm_cleared')),
        state TEXT,
        previous_duration_ms REAL,
        code TEXT,
        message TEXT
      );
      CREATE INDEX line_events_by_line_time ON line_events (line_id, time);

      CREATE TABLE line_audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT
      );
    `,
  },
];

export const postgresLineMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'parts, defects, line events, line audit',
    sql: `
      CREATE TABLE parts (
        id text NOT NULL,
        line_id text NOT NULL,
        part_id text NOT NULL,
        sku text NOT NULL,
        batch text NOT NULL,
        station text NOT NULL,
        result text NOT NULL CHECK (result IN ('pass', 'fail', 'rework', 'pending')),
        reason text,
        cycle_time_ms double precision,
        quality_score double precision,
        attempt integer NOT NULL DEFAULT 1,
        measures jsonb NOT NULL DEFAULT '{}',
        time timestamptz NOT NULL,
        PRIMARY KEY (id, time)
      );
      CREATE INDEX parts_by_line_time ON parts (line_id, time);
      CREATE INDEX parts_by_part ON parts (line_id, part_id);
      CREATE INDEX parts_by_batch ON parts (batch);

      CREATE TABLE defects (
        id text NOT NULL,
        inspection_id text NOT NULL,
        part_id text NOT NULL,
        line_id text NOT NULL,
        station text NOT NULL,
        class text NOT NULL,
        confidence double precision NOT NULL,
        box jsonb,
        disposition text NOT NULL DEFAULT 'pending'
          CHECK (disposition IN ('pending', 'accept', 'reject', 'rework')),
        note text,
        disposition_by text,
        disposition_at timestamptz,
        time timestamptz NOT NULL,
        PRIMARY KEY (id, time)
      );
      CREATE INDEX defects_by_id ON defects (id);
      CREATE INDEX defects_by_line_time ON defects (line_id, time);
      CREATE INDEX defects_by_class ON defects (class);

      CREATE TABLE line_events (
        id text NOT NULL,
        line_id text NOT NULL,
        time timestamptz NOT NULL,
        kind text NOT NULL CHECK (kind IN ('state', 'alarm_raised', 'alarm_cleared')),
        state text,
        previous_duration_ms double precision,
        code text,
        message text,
        PRIMARY KEY (id, time)
      );
      CREATE INDEX line_events_by_line_time ON line_events (line_id, time);

      CREATE TABLE line_audit (
        seq bigserial PRIMARY KEY,
        time timestamptz NOT NULL,
        "user" text NOT NULL,
        action text NOT NULL,
        resource text NOT NULL,
        old_value jsonb,
        new_value jsonb
      );
    `,
  },
];

/** The time-partitioned tables: hypertables under TimescaleDB, swept by Benchtop otherwise. */
export const TIMESERIES_TABLES = ['parts', 'defects', 'line_events'] as const;
