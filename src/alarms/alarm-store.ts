import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { type Migration, openSqliteDatabase, rollbackIfOpen } from '../storage/sqlite-database.ts';
import type { AlarmEvent, AlarmSnapshot } from './alarm-types.ts';

const migrations: Migration[] = [
  {
    version: 1,
    description: 'alarm states and history',
    sql: `
      CREATE TABLE alarm_state (id TEXT PRIMARY KEY, snapshot TEXT NOT NULL);
      CREATE TABLE alarm_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, alarm TEXT NOT NULL, event TEXT NOT NULL,
        condition TEXT NOT NULL, severity TEXT NOT NULL, value REAL, user TEXT, comment TEXT
      );
      CREATE INDEX alarm_events_time ON alarm_events(time);
      CREATE INDEX alarm_events_alarm ON alarm_events(alarm, time);
    `,
  },
];

export interface AlarmStoreOptions {
  /**
   * Each event once it is committed here (the composition root queues it for the PostgreSQL
   * alarm history). Called synchronously: it must not wait or throw.
   */
  onEventSaved?: (event: AlarmEvent) => void;
}

/**
 * Alarm states (so acknowledgements and shelving survive a restart) and their full history, in
 * alarms.sqlite: what the alarm service reads back, whether or not a database is reachable.
 */
export class AlarmStore {
  private readonly db: DatabaseSync;
  private readonly onEventSaved: AlarmStoreOptions['onEventSaved'];

  static inOutputDir(dir: string, options: AlarmStoreOptions = {}): AlarmStore {
    return new AlarmStore(join(dir, 'alarms.sqlite'), options);
  }

  constructor(path: string, options: AlarmStoreOptions = {}) {
    this.db = openSqliteDatabase(path, migrations);
    this.onEventSaved = options.onEventSaved;
  }

  loadStates(): Map<string, AlarmSnapshot> {
    const rows = this.db.prepare('SELECT id, snapshot FROM alarm_state').all() as {
      id: string;
      snapshot: string;
    }[];
    return new Map(rows.map((r) => [r.id, JSON.parse(r.snapshot) as AlarmSnapshot]));
  }

  save(snapshot: AlarmSnapshot, event?: AlarmEvent): void {
    this.db.exec('BEGIN');
    try {
      this.db
        .prepare(
          'INSERT INTO alarm_state (id, snapshot) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot',
        )
        .run(snapshot.id, JSON.stringify(snapshot));
      if (event) {
        this.db
          .prepare(
            'INSERT INTO alarm_events (time, alarm, event, condition, severity, value, user, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            event.time,
            event.alarm,
            event.event,
            event.condition,
            event.severity,
            event.value,
            event.user,
            event.comment,
          );
      }
      this.db.exec('COMMIT');
    } catch (error) {
      rollbackIfOpen(this.db);
      throw error;
    }
    if (event) this.onEventSaved?.(event);
  }

  history(options: { alarm?: string; since?: string; limit?: number } = {}): AlarmEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.alarm) {
      where.push('alarm = ?');
      args.push(options.alarm);
    }
    if (options.since) {
      where.push('time >= ?');
      args.push(options.since);
    }
    return this.db
      .prepare(
        `SELECT time, alarm, event, condition, severity, value, user, comment FROM alarm_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, Math.min(options.limit ?? 200, 10_000)) as unknown as AlarmEvent[];
  }

  close(): void {
    this.db.close();
  }
}
