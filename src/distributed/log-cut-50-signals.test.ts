import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { ManualClock } from '../core/clock.ts';
import { ParameterLogger } from '../storage/timeseries/parameter-logger.ts';
import { type BusConfig, connectBus } from './bus-connection.ts';
import { LogForwarder, outboxStore } from './log-forwarder.ts';
import { LogOutbox } from './log-outbox.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * The cut: nats-server stopped for 30 s during 1 s logging of 50 signals; after
 * recovery every sample of the cut is in PostgreSQL exactly once, stamped with its
 * acquisition time.
 *
 * The outage is real (the server process is stopped, the agent's connection drops, its
 * publishes fail and the hub's consumer loses the server); its 30 s are on the agent's clock,
 * a ManualClock driving the agent's ParameterLogger, so the test does not wait 30 s of wall
 * time. The agent side is the same parts `benchtop agent` composes (ParameterLogger → outbox
 * on disk → LogForwarder on a real connection); the hub is a real `benchtop hub` process
 * writing to PostgreSQL. The full-process version of the cut (agent process, 5 s wall-clock
 * cut, stale at the hub) is log-cut.test.ts.
 */

const admin = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `benchtop_cut50_${randomBytes(4).toString('hex')}`;
const dbUrl = admin.replace(/\/[^/]*$/, `/${database}`);

async function sql<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const skip = await sql(admin, 'SELECT 1').then(
  () => false,
  (error: Error) => `PostgreSQL not reachable at ${admin}: ${error.message}`,
);

const SIGNALS = Array.from({ length: 50 }, (_, i) => `rig${Math.floor(i / 10)}.p${i % 10}`);
const BEFORE_S = 5;
const CUT_S = 30;
const AFTER_S = 5;
/** The agent's clock starts on a whole second, so the 1 s deadlines are exact. */
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  // Awaits an outcome in another process (the hub's writes), giving up after a minute.
  for (let i = 0; i < 600; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`gave up waiting: ${what}`);
}

describe('50 signals logged at 1 s across a 30 s NATS outage', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-cut50-'));
  const nats = new PrivateNatsServer();
  let hub: SiteProcess | null = null;
  let nc: NatsConnection | null = null;
  let forwarder: LogForwarder | null = null;
  let logger: ParameterLogger | null = null;
  let outbox: LogOutbox | null = null;

  before(async () => {
    await sql(admin, `CREATE DATABASE ${database}`);
    await nats.start();
  });

  after(async () => {
    await logger?.stop().catch(() => {});
    await forwarder?.stop().catch(() => {});
    outbox?.close();
    await nc?.close().catch(() => {});
    if (hub && hub.child.exitCode === null) hub.child.kill('SIGKILL');
    await hub?.exited;
    await nats.dispose();
    await sql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every sample of the cut once, at its acquisition time', async () => {
    hub = startSiteProcess(
      'hub',
      join(dir, 'hub.toml'),
      `
instruments = []
[application]
name = "hub"
[bus]
url = "${nats.url}"
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
[storage.postgres]
url = "${dbUrl}"
timescaledb = "off"
`,
    );
    await hub.waitFor(/Benchtop ready at/);

    const bus: BusConfig = {
      url: nats.url,
      request_timeout_ms: 5_000,
      lease_ttl_ms: 15_000,
      log_stream_max_age_days: 7,
      log_stream_max_bytes: 1024 ** 3,
      doc_stream_max_age_days: 1,
      doc_stream_max_bytes: 1024 ** 3,
      clock_offset_alarm_ms: 100,
    };
    nc = await connectBus(bus, 'agent:cut50');
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    const clock = new ManualClock(T0);
    const box = new LogOutbox({
      path: join(dir, 'log-outbox.sqlite'),
      capacityBytes: 64 * 1024 ** 2,
      policy: 'drop_oldest',
    });
    outbox = box;
    const fwd = new LogForwarder({ nc, outbox: box, agentId: 'cut50', site: 'lab', bus });
    forwarder = fwd;
    // Each signal reads the agent's clock when sampled: value = acquisition time, so a sample
    // stamped with anything else (arrival, replay) shows up as value ≠ time.
    logger = new ParameterLogger({
      groups: [{ name: 'cut', signals: SIGNALS, interval_s: 1 }],
      clock,
      store: outboxStore(box, () => fwd.wake()),
      sample: async (signals) =>
        signals.map((signal) => ({ signal, value: clock.now(), timestamp: clock.now() })),
    });
    fwd.start();
    logger.start();

    const count = async (where = 'true') =>
      Number(
        (
          await sql<{ n: string }>(dbUrl, `SELECT count(*) AS n FROM parameter_log WHERE ${where}`).catch(
            () => [{ n: '0' }],
          )
        )[0]!.n,
      );
    const tick = async (seconds: number) => {
      for (let s = 0; s < seconds; s++) await clock.advance(1_000);
      await logger!.flush();
    };

    // Ticks at T0 … T0+4 s (the first deadline is T0 itself).
    await tick(BEFORE_S - 1);
    await until('the samples before the cut reach PostgreSQL', async () => (await count()) === BEFORE_S * 50);

    await nats.stop();
    await until('the agent notices the outage', async () => statuses.includes('disconnect'));
    const failedBefore = fwd.failedSends;
    await tick(CUT_S);
    await until(
      'the forwarder has tried and failed to send during the cut',
      async () => fwd.failedSends > failedBefore,
    );
    const pending = box.peek(100_000).reduce((n, e) => n + e.samples.length, 0);
    assert.equal(pending, CUT_S * 50, 'the 30 s of the cut wait in the outbox on disk');
    assert.equal(
      await count(),
      BEFORE_S * 50,
      'nothing of the cut reached PostgreSQL while the bus was down',
    );
    assert.equal(box.stats().droppedSamples, 0);

    await nats.start();
    await tick(AFTER_S);
    const total = (BEFORE_S + CUT_S + AFTER_S) * 50;
    await until(
      'the cut and the live samples after it reach PostgreSQL',
      async () => (await count()) >= total,
    );
    assert.equal(box.stats().pendingBatches, 0, 'the outbox is empty once the bus acknowledged everything');

    const rows = await sql<{ signal: string; ms: string; value: number; n: string }>(
      dbUrl,
      `SELECT signal, (extract(epoch from time) * 1000)::bigint AS ms, value, count(*) OVER (PARTITION BY signal, time) AS n
         FROM parameter_log ORDER BY signal, time`,
    );
    assert.equal(rows.length, total, 'one row per signal per second, nothing extra');
    const expected = Array.from({ length: BEFORE_S + CUT_S + AFTER_S }, (_, k) => T0 + k * 1000);
    const cutTimes = expected.slice(BEFORE_S, BEFORE_S + CUT_S);
    for (const signal of SIGNALS) {
      const mine = rows.filter((r) => r.signal === signal);
      assert.deepEqual(
        mine.map((r) => Number(r.ms)),
        expected,
        `${signal}: every second once`,
      );
      for (const r of mine) {
        assert.equal(Number(r.n), 1, `${signal} at ${r.ms} stored once`);
        assert.equal(r.value, Number(r.ms), `${signal} at ${r.ms} stamped with its acquisition time`);
      }
      assert.equal(
        mine.filter((r) => cutTimes.includes(Number(r.ms))).length,
        CUT_S,
        `${signal}: all 30 samples of the cut`,
      );
    }
  });
});
