import type { Migration } from '../sqlite-database.ts';

/**
 * The alarm history's schema in PostgreSQL (alarms.sqlite has its own, in src/alarms). Append a
 * migration for every change; never edit one that has shipped. `id` is the key each event is
 * given when it is queued, so a write retried after a commit that did land stores nothing twice;
 * the primary key includes `time` because a TimescaleDB hypertable needs its partitioning
 * column in every unique index.
 */
export const postgresAlarmHistoryMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'alarm events',
    sql: `
      CREATE TABLE alarm_events (
        id uuid NOT NULL,
        time timestamptz NOT NULL,
        alarm text NOT NULL,
        event text NOT NULL,
        condition text NOT NULL,
        severity text NOT NULL,
        value double precision,
        "user" text,
        comment text,
        PRIMARY KEY (id, time)
      );
      CREATE INDEX alarm_events_by_time ON alarm_events (time);
      CREATE INDEX alarm_events_by_alarm_time ON alarm_events (alarm, time);
    `,
  },
];

/** Time-partitioned: a hypertable under TimescaleDB, swept by Benchtop otherwise. */
export const ALARM_HISTORY_TABLES = ['alarm_events'] as const;

export const ALARM_HISTORY_VERSION_TABLE = 'alarm_schema_version';
