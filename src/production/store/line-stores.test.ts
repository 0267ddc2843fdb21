import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../../core/clock.ts';
import { outageRelay } from '../../storage/postgres/testing/outage-relay.ts';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../../storage/postgres/testing/throwaway-postgres.ts';
import { storedPart } from '../testing/line-record-builders.ts';
import { lineStoreContract } from './line-store-contract.ts';
import { LineWriteQueue } from './line-write-queue.ts';
import { PostgresLineStore } from './postgres-line-store.ts';
import { SqliteLineStore } from './sqlite-line-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = await postgresUnavailable();
const databases: ThrowawayDatabase[] = [];
after(async () => {
  for (const db of databases) await db.drop();
});
const throwaway = async () => {
  const db = await createThrowawayDatabase();
  databases.push(db);
  return db;
};

lineStoreContract('SqliteLineStore', async () => new SqliteLineStore(join(dir, 'production.sqlite')));
lineStoreContract(
  'PostgresLineStore',
  async () =>
    PostgresLineStore.open({ url: (await throwaway()).url, timescaledb: 'auto', retentionDays: 365 }),
  skip,
);

describe('PostgresLineStore migrations', { skip }, () => {
  it('creates the schema once, records its version, and plain tables have a time index without TimescaleDB', async () => {
    const db = await throwaway();
    const first = await PostgresLineStore.open({ url: db.url, timescaledb: 'off', retentionDays: 0 });
    await first.close();
    const again = await PostgresLineStore.open({ url: db.url, timescaledb: 'off', retentionDays: 0 });
    const status = await again.status();
    await again.close();
    assert.equal(status.backend, 'postgres');
    assert.deepEqual(
      status.applied.map((a) => a.version),
      [1],
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'parts'");
    await client.end();
    assert.ok(rows.some((r: { indexname: string }) => r.indexname === 'parts_by_line_time'));
  });

  it('status without migrating reports version 0 on an empty database', async () => {
    const db = await throwaway();
    const store = await PostgresLineStore.open({
      url: db.url,
      timescaledb: 'off',
      retentionDays: 0,
      migrate: false,
    });
    const status = await store.status();
    await store.close();
    assert.deepEqual([status.version, status.latest, status.applied.length], [0, 1, 0]);
  });

  // Debian 12 packages no TimescaleDB (`apt-cache search timescale` finds nothing), so on this
  // machine the hypertable path runs up to its extension check; where the extension exists the
  // same test asserts the hypertables instead.
  it('TimescaleDB: "auto" falls back to plain tables without the extension, "on" refuses with the reason', async () => {
    const client = new pg.Client({ connectionString: (await throwaway()).url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'",
    );
    await client.end();
    const available = (rows[0] as { n: number }).n > 0;
    const auto = await PostgresLineStore.open({
      url: (await throwaway()).url,
      timescaledb: 'auto',
      retentionDays: 30,
    });
    const status = await auto.status();
    await auto.close();
    assert.equal(status.backend, available ? 'timescaledb' : 'postgres');
    assert.equal(status.version, 1, 'the schema is migrated either way');
    const on = PostgresLineStore.open({ url: (await throwaway()).url, timescaledb: 'on', retentionDays: 30 });
    if (available) {
      const store = await on;
      assert.equal(store.kind, 'timescaledb');
      await store.close();
    } else
      await assert.rejects(on, (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORAGE_ERROR');
        assert.match(err.message, /timescaledb is "on" but the extension cannot be created/);
        return true;
      });
  });
});

describe('LineWriteQueue through a database outage', { skip }, () => {
  it('parts queue while PostgreSQL is down and are all written once it is back, none lost or doubled', async () => {
    const db = await throwaway();
    const direct = new URL(db.url);
    const relay = await outageRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(db.url);
    relayed.port = String(relay.port);
    const store = await PostgresLineStore.open({
      url: relayed.toString(),
      timescaledb: 'off',
      retentionDays: 0,
    });
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 6));
    const backlog: string[] = [];
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const queue = new LineWriteQueue({
      store,
      clock,
      capacity: 1000,
      retryMs: 5000,
      onWriteError: () => failed(),
      onBacklog: (state, n) => backlog.push(`${state}:${n}`),
    });
    const part = (i: number) => storedPart({ partId: `Q${i}`, time: clock.now() + i });
    for (let i = 0; i < 5; i++) assert.ok(queue.enqueue({ parts: [part(i)], defects: [], events: [] }));
    await queue.flush();

    relay.takeDown();
    for (let i = 5; i < 45; i++) assert.ok(queue.enqueue({ parts: [part(i)], defects: [], events: [] }));
    await firstFailure;
    assert.equal(queue.stats.queuedRecords, 40);
    assert.deepEqual(backlog, ['holding:40']);
    // while down, retries keep failing and nothing is dropped
    await clock.advance(5000);
    await clock.advance(5000);
    assert.equal(queue.stats.queuedRecords, 40);
    assert.ok(queue.stats.failedAttempts >= 2);

    relay.bringBack();
    const drained = queue.flush();
    // the retry timer may be armed a moment after the failure is reported: advance until written
    while (queue.stats.queuedRecords > 0) {
      await clock.advance(5000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await drained;
    assert.deepEqual(backlog, ['holding:40', 'drained:0']);
    assert.equal(queue.stats.writtenRecords, 45);
    assert.equal(queue.stats.rejectedBatches, 0);
    assert.equal(queue.stats.highWater, 40);
    await store.close();
    await relay.close();

    const check = await PostgresLineStore.open({ url: db.url, timescaledb: 'off', retentionDays: 0 });
    const stored = await check.parts({ lineId: 'assembly1', from: 0, to: Number.MAX_SAFE_INTEGER });
    await check.close();
    assert.equal(stored.length, 45);
    assert.deepEqual(
      new Set(stored.map((p) => p.partId)),
      new Set(Array.from({ length: 45 }, (_, i) => `Q${i}`)),
    );
  });

  it('a full queue refuses and counts instead of growing', async () => {
    const failing = { write: async () => Promise.reject(new Error('down')) } as unknown as PostgresLineStore;
    const clock = new ManualClock();
    const queue = new LineWriteQueue({ store: failing, clock, capacity: 3, retryMs: 1000 });
    const one = () => ({ parts: [storedPart()], defects: [], events: [] });
    assert.ok(queue.enqueue(one()));
    assert.ok(queue.enqueue(one()));
    assert.ok(queue.enqueue(one()));
    assert.equal(queue.enqueue(one()), false);
    assert.deepEqual([queue.stats.queuedRecords, queue.stats.rejectedBatches], [3, 1]);
  });

  it('records queued by a backlog callback while the drain finishes are written too', async () => {
    const written: string[] = [];
    let fail = true;
    const store = {
      write: async (b: { parts: { partId: string }[] }) => {
        if (fail) throw new Error('down');
        written.push(...b.parts.map((p) => p.partId));
      },
    } as unknown as PostgresLineStore;
    const clock = new ManualClock();
    const queue: LineWriteQueue = new LineWriteQueue({
      store,
      clock,
      capacity: 10,
      retryMs: 1000,
      // as the tracker does: clearing S101 records an alarm event through the same queue
      onBacklog: (state) => {
        if (state === 'drained')
          queue.enqueue({ parts: [storedPart({ partId: 'after' })], defects: [], events: [] });
      },
    });
    queue.enqueue({ parts: [storedPart({ partId: 'first' })], defects: [], events: [] });
    await new Promise((resolve) => setImmediate(resolve));
    fail = false;
    await clock.advance(1000);
    await queue.flush();
    assert.deepEqual(written, ['first', 'after']);
    assert.equal(queue.stats.queuedRecords, 0);
  });
});
