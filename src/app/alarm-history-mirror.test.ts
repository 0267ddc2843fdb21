import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import pg from 'pg';
import { AlarmService } from '../alarms/alarm-service.ts';
import { AlarmStore } from '../alarms/alarm-store.ts';
import { AlarmEntry, type AlarmEntry as AlarmEntryType } from '../config/schema.ts';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import type { AlarmHistoryEvent } from '../storage/alarm-history/alarm-history-queue.ts';
import {
  type AlarmHistoryRow,
  PostgresAlarmHistory,
} from '../storage/alarm-history/postgres-alarm-history.ts';
import { outageRelay } from '../storage/postgres/testing/outage-relay.ts';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../storage/postgres/testing/throwaway-postgres.ts';
import { AlarmHistoryMirror } from './alarm-history-mirror.ts';

const skip = await postgresUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'alarm-history-'));
const databases: ThrowawayDatabase[] = [];
after(async () => {
  for (const db of databases) await db.drop();
  rmSync(dir, { recursive: true, force: true });
});
const throwaway = async () => {
  const db = await createThrowawayDatabase('benchtop_alarm_history_test');
  databases.push(db);
  return db;
};

/** The alarm service on alarms.sqlite, its events mirrored to PostgreSQL at `url`, as Benchtop wires it. */
function setup(url: string, queueCapacity?: number) {
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
  const bus = new EventBus<BenchtopEvents>();
  const mirror = new AlarmHistoryMirror(
    new PostgresAlarmHistory({ url, timescaledb: 'off', retentionDays: 0 }),
    0,
    { clock, logger: silentLogger(), ...(queueCapacity ? { queueCapacity } : {}) },
  );
  const store = AlarmStore.inOutputDir(mkdtempSync(join(dir, 'out-')), {
    onEventSaved: (event) => mirror.queue.record(event),
  });
  const service = new AlarmService({
    alarms: [Value.Default(AlarmEntry, { signal: 'meter.power', high: 1 }) as AlarmEntryType],
    instruments: [{ id: 'meter', type: 'Newport1830C' }],
    bus,
    clock,
    store,
    logger: silentLogger(),
    storagePath: dir,
  });
  service.start();
  const read = async (value: number) => {
    bus.emit('instrument.reading', {
      instrument: 'meter',
      signal: 'power',
      value,
      timestamp: clock.now(),
      quality: 'good',
    });
    await clock.advance(1000);
  };
  const close = async () => {
    service.stop();
    store.close();
    await mirror.stop();
  };
  return { clock, service, store, mirror, read, close };
}

/** Every row of alarm_events, oldest first. */
async function storedEvents(url: string): Promise<AlarmHistoryRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT id, time, alarm, event, condition, severity, value, "user", comment FROM alarm_events ORDER BY time, event`,
    );
    return rows.map((r) => ({ ...r, time: (r.time as Date).toISOString() }) as AlarmHistoryRow);
  } finally {
    await client.end();
  }
}

/** What alarms.sqlite holds, oldest first, in the columns both tables share. */
const sqliteEvents = (store: AlarmStore) => store.history().reverse();
const shared = (e: AlarmHistoryEvent) => ({
  time: e.time,
  alarm: e.alarm,
  event: e.event,
  condition: e.condition,
  severity: e.severity,
  value: e.value,
  user: e.user,
  comment: e.comment,
});

describe('alarm history in PostgreSQL', { skip }, () => {
  it('raise, acknowledge, clear: every event reaches alarm_events with its user and comment, as in alarms.sqlite', async () => {
    const db = await throwaway();
    const { service, store, mirror, read, close } = setup(db.url);
    mirror.start();
    await read(1.5);
    service.acknowledge('meter.power', 'ada', 'saw it, cooling');
    await read(0.2);
    service.shelve('meter.power', 'bob', 'maintenance', 60);
    await mirror.queue.flush();

    const rows = await storedEvents(db.url);
    assert.deepEqual(
      rows.map((r) => [r.alarm, r.event, r.user, r.comment]),
      [
        ['meter.power', 'activated', null, null],
        ['meter.power', 'acknowledged', 'ada', 'saw it, cooling'],
        ['meter.power', 'cleared', null, null],
        ['meter.power', 'shelved', 'bob', 'maintenance'],
      ],
    );
    assert.deepEqual(rows.map(shared), sqliteEvents(store).map(shared));
    assert.equal(rows[0]!.value, 1.5);
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'each event has its own key');
    await close();
  });

  it('PostgreSQL down: events queue (the alarm service goes on), then all are written once it is back, none lost or doubled', async () => {
    const db = await throwaway();
    const direct = new URL(db.url);
    const relay = await outageRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(db.url);
    relayed.port = String(relay.port);
    // Down from the start: the schema itself is created once the database is back.
    relay.takeDown();
    const { clock, service, store, mirror, read, close } = setup(relayed.toString());
    mirror.start();
    await read(1.5);
    service.acknowledge('meter.power', 'ada', 'during the outage');
    await read(0.2);
    assert.equal(service.get('meter.power').state, 'normal', 'the alarm service did not wait');
    while (mirror.queue.stats.failedAttempts === 0) await clock.advance(1000);
    assert.equal(mirror.queue.stats.queuedRecords, 3);
    assert.equal(mirror.queue.holding, true);
    const down = mirror.health();
    assert.equal(down.status, 'degraded');
    assert.equal(down.details.queued, 3);
    // still down: the retries fail and nothing is dropped
    const failed = mirror.queue.stats.failedAttempts;
    while (mirror.queue.stats.failedAttempts < failed + 2) await clock.advance(5000);
    assert.equal(mirror.queue.stats.queuedRecords, 3);

    relay.bringBack();
    while (mirror.queue.stats.queuedRecords > 0) {
      await clock.advance(5000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await mirror.queue.flush();
    assert.equal(mirror.health().status, 'healthy');
    assert.deepEqual([mirror.queue.stats.writtenRecords, mirror.queue.stats.rejectedBatches], [3, 0]);
    const rows = await storedEvents(db.url);
    assert.deepEqual(
      rows.map((r) => [r.event, r.user, r.comment]),
      [
        ['activated', null, null],
        ['acknowledged', 'ada', 'during the outage'],
        ['cleared', null, null],
      ],
    );
    assert.deepEqual(rows.map(shared), sqliteEvents(store).map(shared));
    await close();
    await relay.close();
  });

  it('a write retried after its commit landed stores nothing twice', async () => {
    const db = await throwaway();
    const history = new PostgresAlarmHistory({ url: db.url, timescaledb: 'off', retentionDays: 0 });
    const row = {
      id: '7b0f5a56-3c1e-4a8e-9c55-2f1f4f1d9e01',
      time: '2026-12-03T08:00:00.123Z',
      alarm: 'meter.power',
      event: 'acknowledged',
      condition: 'HIGH',
      severity: 'minor',
      value: 1.5,
      user: 'ada',
      comment: 'once',
    };
    await history.write([row]);
    await history.write([row, { ...row, id: '7b0f5a56-3c1e-4a8e-9c55-2f1f4f1d9e02', comment: 'twice' }]);
    await history.close();
    assert.deepEqual(
      (await storedEvents(db.url)).map((r) => r.comment),
      ['once', 'twice'],
    );
  });

  it('a full queue refuses and counts what it cannot hold (alarms.sqlite has it); stopping while down gives up instead of hanging', async () => {
    const db = await throwaway();
    const direct = new URL(db.url);
    const relay = await outageRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(db.url);
    relayed.port = String(relay.port);
    relay.takeDown();
    const { clock, service, store, mirror, read } = setup(relayed.toString(), 2);
    await read(1.5);
    service.acknowledge('meter.power', 'ada', 'kept');
    await read(0.2);
    assert.deepEqual(
      sqliteEvents(store).map((e) => e.event),
      ['activated', 'acknowledged', 'cleared'],
    );
    assert.deepEqual([mirror.queue.stats.queuedRecords, mirror.queue.stats.rejectedBatches], [2, 1]);
    const health = mirror.health();
    assert.deepEqual([health.status, health.details.rejected], ['degraded', 1]);

    service.stop();
    store.close();
    let stopped = false;
    const stopping = mirror.stop().then(() => {
      stopped = true;
    });
    while (!stopped) await clock.advance(1000);
    await stopping;
    assert.deepEqual([mirror.queue.stats.queuedRecords, mirror.queue.stats.writtenRecords], [0, 0]);
    assert.equal(mirror.queue.record(sqliteEventTemplate), false, 'closed: nothing more is accepted');
    await relay.close();
  });
});

const sqliteEventTemplate = {
  time: '2026-12-03T08:00:00.000Z',
  alarm: 'meter.power',
  event: 'activated',
  condition: 'HIGH',
  severity: 'minor',
  value: 1.5,
  user: null,
  comment: null,
};
