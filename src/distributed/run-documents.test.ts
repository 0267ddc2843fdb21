import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { docStreamName } from './doc-stream.ts';
import { token } from './subjects.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { api, until } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * Run documents on the bus: the hub runs a scan over an agent's instruments and publishes every
 * document on `daq.doc.<site>.<hub>.<run>` (DOCS stream, the document uid as message id); its
 * durable consumer stores them in PostgreSQL keyed by uid, so a document sent again is stored once.
 */

const admin = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `benchtop_docs_${randomBytes(4).toString('hex')}`;
const dbUrl = admin.replace(/\/[^/]*$/, `/${database}`);

async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const skip = await sql(admin, 'SELECT 1').then(
  () => false,
  (error: Error) => `PostgreSQL not reachable at ${admin}: ${error.message}`,
);

describe('run documents on the bus into PostgreSQL', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-docs-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let base = '';

  before(async () => {
    await sql(admin, `CREATE DATABASE ${database}`);
    await nats.start();
    const agent = startSiteProcess(
      'agent',
      join(dir, 'agent.toml'),
      `
[application]
name = "hostA"
[agent]
id = "hostA"
heartbeat_ms = 300
[bus]
url = "${nats.url}"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
`,
    );
    procs.push(agent);
    await agent.waitFor(/joined site/);
    const hub = startSiteProcess(
      'hub',
      join(dir, 'hub.toml'),
      `
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
[simulation]
enabled = true
[[instruments]]
id = "hubmeter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB3" }
`,
    );
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
    await until(
      'instruments ready at the hub',
      async () => (await api(base, '/instruments')).body as { id: string; state: string }[],
      (l) => l.filter((i) => i.state === 'ready').length === 3,
    );
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nats.dispose();
    await sql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it("publishes a scan's documents in order and stores each once", async () => {
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({
        plan: 'scan',
        args: {
          detectors: ['meter.power'],
          motor: 'stage.axis1.position',
          start: 0,
          stop: 1,
          num: 4,
          settle_s: 0,
        },
      }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const uid = submitted.body.uid as string;
    await until(
      'scan finished',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    const catalog = (await api(base, `/runs/${uid}/documents`)).body as {
      name: string;
      doc: { uid: string };
    }[];
    assert.deepEqual(
      catalog.map((d) => d.name),
      ['start', 'descriptor', 'event', 'event', 'event', 'event', 'stop'],
    );
    const stored = async () =>
      sql<{ uid: string; name: string; host: string; doc: { uid: string } }>(
        dbUrl,
        'SELECT uid, name, host, doc FROM run_documents WHERE run_uid = $1 ORDER BY stream_seq',
        [uid],
      ).catch(() => []);
    const rows = await until('documents in PostgreSQL', stored, (r) => r.length >= catalog.length);
    assert.deepEqual(
      rows.map((r) => [r.name, r.uid]),
      catalog.map((d) => [d.name, d.doc.uid]),
    );
    assert.deepEqual(rows[0]!.doc, catalog[0]!.doc, 'the document itself, as the catalog has it');
    assert.match(rows[0]!.host, /^hub@/);

    // On the bus: the run's subject family, the document uid as message id.
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = docStreamName('lab');
      const first = await jsm.streams.getMessage(stream, { seq: 1 });
      assert.equal(first?.subject, `daq.doc.lab.${token(rows[0]!.host)}.${token(uid)}`);
      assert.equal(first?.header.get('Nats-Msg-Id'), catalog[0]!.doc.uid);
      // The same document again, past the stream's dedupe (a new id): the database key absorbs it.
      await jetstream(nc).publish(first!.subject, first!.data, { msgID: `again-${catalog[0]!.doc.uid}` });
      const info = await jsm.streams.info(stream);
      assert.equal(info.state.messages, catalog.length + 1);
      await until(
        'the repeat consumed',
        async () => (await jsm.consumers.info(stream, 'hub-doc-writer')).num_pending,
        (n) => n === 0,
      );
      await until(
        'ack',
        async () => (await jsm.consumers.info(stream, 'hub-doc-writer')).num_ack_pending,
        (n) => n === 0,
      );
    } finally {
      await nc.close();
    }
    assert.equal((await stored()).length, catalog.length, 'stored once');
  });

  it("publishes a run's documents made while NATS was down once it is back (the catalog is the outbox)", async () => {
    await nats.stop();
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({ plan: 'count', args: { detectors: ['hubmeter.power'], num: 3 } }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const uid = submitted.body.uid as string;
    const run = await until(
      'count finished on the hub while the bus is away',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(run.status, 'success', JSON.stringify(run));
    const catalog = (await api(base, `/runs/${uid}/documents`)).body as {
      name: string;
      doc: { uid: string };
    }[];
    assert.equal(catalog.length, 6);
    const stored = async () =>
      sql<{ uid: string }>(dbUrl, 'SELECT uid FROM run_documents WHERE run_uid = $1 ORDER BY stream_seq', [
        uid,
      ]).catch(() => []);
    assert.equal((await stored()).length, 0, 'nothing could reach the bus during the outage');
    await nats.start();
    const rows = await until('documents stored after recovery', stored, (r) => r.length >= catalog.length);
    assert.deepEqual(
      rows.map((r) => r.uid),
      catalog.map((d) => d.doc.uid),
    );
  });
});
