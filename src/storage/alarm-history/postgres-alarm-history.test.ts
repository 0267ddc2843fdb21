import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../postgres/testing/throwaway-postgres.ts';
import { type AlarmHistoryRow, PostgresAlarmHistory } from './postgres-alarm-history.ts';

const skip = await postgresUnavailable();
const databases: ThrowawayDatabase[] = [];
after(async () => {
  for (const db of databases) await db.drop();
});
const throwaway = async () => {
  const db = await createThrowawayDatabase('benchtop_alarm_schema_test');
  databases.push(db);
  return db;
};

const DAY = 86_400_000;
const row = (id: number, time: number): AlarmHistoryRow => ({
  id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  time: new Date(time).toISOString(),
  alarm: 'meter.power',
  event: 'activated',
  condition: 'HIGH',
  severity: 'minor',
  value: 1.5,
  user: null,
  comment: null,
});

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgresAlarmHistory schema', { skip }, () => {
  it('status changes nothing (version 0 of 1); migrate creates alarm_events once and records version 1', async () => {
    const db = await throwaway();
    const history = new PostgresAlarmHistory({ url: db.url, timescaledb: 'off', retentionDays: 0 });
    const before = await history.status();
    assert.deepEqual(
      [before.backend, before.version, before.latest, before.applied.length],
      ['postgres', 0, 1, 0],
    );
    assert.deepEqual(await query(db.url, "SELECT to_regclass('alarm_events') AS t"), [{ t: null }]);
    await history.migrate();
    await history.migrate();
    const status = await history.status();
    await history.close();
    assert.deepEqual(
      status.applied.map((a) => [a.version, a.description]),
      [[1, 'alarm events']],
    );
    const columns = await query(
      db.url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'alarm_events' ORDER BY ordinal_position",
    );
    assert.deepEqual(
      columns.map((c) => `${c.column_name} ${c.data_type}`),
      [
        'id uuid',
        'time timestamp with time zone',
        'alarm text',
        'event text',
        'condition text',
        'severity text',
        'value double precision',
        'user text',
        'comment text',
      ],
    );
    const indexes = await query(db.url, "SELECT indexname FROM pg_indexes WHERE tablename = 'alarm_events'");
    assert.ok(
      indexes.some((i) => i.indexname === 'alarm_events_by_time'),
      'a plain table has a time index',
    );
  });

  it("without TimescaleDB, Benchtop's own retention deletes what is older than the cut-off; the cut-off itself stays", async () => {
    const db = await throwaway();
    const history = new PostgresAlarmHistory({ url: db.url, timescaledb: 'auto', retentionDays: 30 });
    const now = Date.UTC(2026, 11, 3);
    await history.write([row(1, now - 40 * DAY), row(2, now - 30 * DAY), row(3, now - DAY)]);
    const timescale = history.kind === 'timescaledb';
    const deleted = await history.deleteOlderThan(now - 30 * DAY);
    await history.close();
    const left = await query(db.url, 'SELECT id FROM alarm_events ORDER BY time');
    if (timescale) assert.equal(deleted, 0, "TimescaleDB's policy drops chunks instead");
    else {
      assert.equal(deleted, 1);
      assert.deepEqual(
        left.map((r) => r.id),
        [row(2, 0).id, row(3, 0).id],
      );
    }
  });

  // Debian 12 packages no TimescaleDB: here "on" must refuse with the reason; where the
  // extension exists the table becomes a hypertable instead.
  it('TimescaleDB "on": a hypertable where the extension exists, else a clear refusal', async () => {
    const db = await throwaway();
    const available =
      (await query(db.url, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).length > 0;
    const history = new PostgresAlarmHistory({ url: db.url, timescaledb: 'on', retentionDays: 30 });
    try {
      if (available) {
        await history.migrate();
        assert.equal(history.kind, 'timescaledb');
        assert.equal((await history.status()).backend, 'timescaledb');
      } else
        await assert.rejects(history.migrate(), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'STORAGE_ERROR');
          assert.match(err.message, /timescaledb is "on" but the extension cannot be created/);
          return true;
        });
    } finally {
      await history.close();
    }
  });
});
