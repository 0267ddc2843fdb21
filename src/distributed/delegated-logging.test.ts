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
 * A `[[logging.groups]]` in the hub's configuration naming an agent's signals: the agent samples
 * them (stamped at its own deadlines), and they land in the hub's PostgreSQL through the LOG
 * stream, exactly as the agent's own groups do.
 */

const admin = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `benchtop_delegated_${randomBytes(4).toString('hex')}`;
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

describe("hub logging groups over an agent's signals", { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-delegated-'));
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

  it('are sampled on the agent, stamped at acquisition, and stored in PostgreSQL', async () => {
    const agent = startSiteProcess(
      'agent',
      join(dir, 'agent.toml'),
      `
[application]
name = "hostB"
[agent]
id = "hostB"
heartbeat_ms = 300
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
[bus]
url = "${nats.url}"
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
[storage.postgres]
url = "${dbUrl}"
timescaledb = "off"
[[logging.groups]]
name = "optics"
signals = ["meter.power", "meter.wavelength"]
interval_s = 0.5
`,
    );
    procs.push(hub);
    await hub.waitFor(/Benchtop ready at/);
    const handed = await hub.waitFor(/logging groups over agents' signals handed to the agents: optics/);
    assert.ok(handed);
    const taken = await agent.waitFor(/sampling 1 logging group\(s\) delegated by hubs/);
    assert.deepEqual((taken.groups as { signals: string[] }[])[0]?.signals, [
      'meter.power',
      'meter.wavelength',
    ]);
    const count = async () =>
      Number(
        (
          await sql<{ n: string }>(dbUrl, 'SELECT count(*) AS n FROM parameter_log').catch(() => [{ n: '0' }])
        )[0]!.n,
      );
    for (let i = 0; i < 600 && (await count()) < 8; i++) await new Promise((r) => setTimeout(r, 100));
    const rows = await sql<{ signal: string; ms: string; value: number | null }>(
      dbUrl,
      'SELECT signal, (extract(epoch from time) * 1000)::bigint AS ms, value FROM parameter_log ORDER BY signal, time',
    );
    assert.ok(rows.length >= 8, `${rows.length} rows`);
    assert.deepEqual([...new Set(rows.map((r) => r.signal))].sort(), ['meter.power', 'meter.wavelength']);
    for (const r of rows) {
      // On the group's 0.5 s deadline grid: the agent's sampling deadline, not a hub receive time.
      assert.equal(Number(r.ms) % 500, 0, `${r.signal} at ${r.ms}`);
      assert.equal(typeof r.value, 'number', `${r.signal} sampled`);
    }
  });
});
