import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * A network cut during 1 s parameter logging: the NATS server is stopped for a while and
 * started again; every sample of the cut reaches PostgreSQL once, stamped when acquired.
 */

const admin = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `benchtop_site_${randomBytes(4).toString('hex')}`;
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

const SIGNALS = ['meter.power', 'meter.wavelength'];

describe('parameter log across a NATS outage', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-cut-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];

  before(async () => {
    await sql(admin, `CREATE DATABASE ${database}`);
    await nats.start();
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nats.dispose();
    await sql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('every sample of the cut is stored exactly once with its acquisition time', async () => {
    const agent = startSiteProcess(
      'agent',
      join(dir, 'agent.toml'),
      `
[application]
name = "logger"
[agent]
id = "logger"
heartbeat_ms = 300
stale_after_ms = 2000
[bus]
url = "${nats.url}"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
[[logging.groups]]
name = "cut"
signals = ${JSON.stringify(SIGNALS)}
interval_s = 1
`,
    );
    procs.push(agent);
    await agent.waitFor(/parameter logging to the bus started/);
    const hub = startSiteProcess(
      'hub',
      join(dir, 'hub.toml'),
      `
instruments = []
[application]
name = "hub"
[agent]
heartbeat_ms = 300
stale_after_ms = 2000
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
    procs.push(hub);
    const hubUrl = String((await hub.waitFor(/Benchtop ready at/)).url);
    const meterState = async () => {
      const list = (await (await fetch(`${hubUrl}/api/v1/instruments`)).json()) as {
        id: string;
        state: string;
      }[];
      return list.find((i) => i.id === 'meter')?.state;
    };

    const count = async () =>
      Number(
        (
          await sql<{ n: string }>(dbUrl, 'SELECT count(*) AS n FROM parameter_log').catch(() => [{ n: '0' }])
        )[0]!.n,
      );
    const waitForCount = async (atLeast: number) => {
      for (let i = 0; i < 600 && (await count()) < atLeast; i++) await new Promise((r) => setTimeout(r, 100));
    };
    await waitForCount(4);
    assert.ok((await count()) >= 4, 'samples reach PostgreSQL before the cut');

    const cutStart = Date.now();
    await nats.stop();
    await new Promise((r) => setTimeout(r, 5_000));
    // The cut (5 s) is longer than stale_after_ms (2 s): the hub has judged the agent stale.
    const duringCut = await meterState();
    const cutEnd = Date.now();
    const beforeRecovery = await count();
    await nats.start();
    // After recovery: everything up to a few seconds past the cut arrives.
    const horizon = cutEnd + 3_000;
    // Bounded well inside the test's timeout, so a recovery that never comes fails here, with
    // both processes' last log lines, rather than as a bare timeout.
    const recoveryDeadline = Date.now() + 45_000;
    let pastHorizon = 0;
    while (Date.now() < recoveryDeadline) {
      const rows = await sql<{ n: string }>(
        dbUrl,
        `SELECT count(*) AS n FROM parameter_log WHERE time >= to_timestamp(${horizon / 1000})`,
      );
      pastHorizon = Number(rows[0]!.n);
      if (pastHorizon >= SIGNALS.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (pastHorizon < SIGNALS.length) {
      const tail = (p: SiteProcess) => p.lines.slice(-40).join('\n');
      assert.fail(
        `no samples from after the cut reached PostgreSQL within 45 s of NATS restarting (${pastHorizon} rows past the horizon, ${await count()} in all, ${beforeRecovery} before recovery)\n--- agent:\n${tail(agent)}\n--- hub:\n${tail(hub)}`,
      );
    }

    const rows = await sql<{ signal: string; ms: string }>(
      dbUrl,
      `SELECT signal, (extract(epoch from time) * 1000)::bigint AS ms FROM parameter_log WHERE time < to_timestamp(${horizon / 1000}) ORDER BY signal, time`,
    );
    const bySignal = new Map<string, number[]>();
    for (const r of rows) bySignal.set(r.signal, [...(bySignal.get(r.signal) ?? []), Number(r.ms)]);
    assert.deepEqual([...bySignal.keys()].sort(), [...SIGNALS].sort());
    for (const [signal, times] of bySignal) {
      // Stamped on the agent's 1 s deadline grid, each deadline once, no gap across the cut.
      for (const t of times) assert.equal(t % 1000, 0, `${signal} at ${t}`);
      for (let i = 1; i < times.length; i++)
        assert.equal(times[i]! - times[i - 1]!, 1000, `${signal}: gap or duplicate at ${times[i]}`);
      const inCut = times.filter((t) => t >= cutStart && t <= cutEnd);
      assert.ok(inCut.length >= 4, `${signal}: ${inCut.length} samples stamped during the 5 s cut`);
    }
    const dupes = await sql<{ n: string }>(
      dbUrl,
      'SELECT count(*) AS n FROM (SELECT signal, time FROM parameter_log GROUP BY signal, time HAVING count(*) > 1) d',
    );
    assert.equal(Number(dupes[0]!.n), 0);
    assert.ok((await count()) > beforeRecovery, 'the cut was replayed after recovery');
    assert.equal(duringCut, 'failed', 'the hub shows the agent stale during the cut');
    for (let i = 0; i < 200 && (await meterState()) !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(await meterState(), 'ready', 'and live again after it');
  });
});
