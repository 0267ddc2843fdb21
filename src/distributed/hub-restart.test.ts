import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { CompressedFramesReader } from '../storage/hdf5/compressed-frames-reader.ts';
import { openBuckets } from './buckets.ts';
import { AgentBirth, decode } from './messages.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { until } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * A hub killed (SIGKILL) in the middle of a camera run on an agent, then started again: its
 * start-up closes the run with a stop document naming the restart (in its catalog and API, and
 * through the DOCS stream in PostgreSQL, once), tells the agent to stop the acquisition it was
 * still running for that run and close the file, and releases the control leases its previous
 * process held, so it drives the agent's instruments again at once.
 */

const admin = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `benchtop_restart_${randomBytes(4).toString('hex')}`;
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

// biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, checked field by field
async function api(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path.startsWith('/health') ? '' : '/api/v1'}${path}`, {
    ...init,
    headers: init?.body ? { 'content-type': 'application/json' } : {},
  });
  return { status: res.status, body: await res.json() };
}

describe(
  'a hub restarted mid-run reconciles what its previous process left open',
  { skip, timeout: 180_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-hub-restart-'));
    const nats = new PrivateNatsServer();
    const procs: SiteProcess[] = [];
    let agent: SiteProcess;
    let hub: SiteProcess;
    let base = '';
    const hubToml = () => `
instruments = []
[application]
name = "hub"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${nats.url}"
request_timeout_ms = 3000
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
[storage.postgres]
url = "${dbUrl}"
timescaledb = "off"
`;

    before(async () => {
      await sql(admin, `CREATE DATABASE ${database}`);
      await nats.start();
      agent = startSiteProcess(
        'agent',
        join(dir, 'agent.toml'),
        `
[application]
name = "camhost"
[agent]
id = "camhost"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${nats.url}"
request_timeout_ms = 3000
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "cam"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI" }
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
`,
      );
      procs.push(agent);
      await agent.waitFor(/joined site/);
      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml());
      procs.push(hub);
      base = String((await hub.waitFor(/Benchtop ready at/)).url);
      await until(
        'camera and stage ready at the hub',
        async () => (await api(base, '/instruments')).body as { id: string; state: string }[],
        (l) => l.filter((i) => i.state === 'ready').length === 2,
      );
    });

    after(async () => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await nats.dispose();
      await sql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });

    it('closes the run with a stop (catalog, API, PostgreSQL once), stops the agent acquisition, frees the leases', async () => {
      // The hub drives the stage (its lease taken) and runs a long camera acquisition on the agent.
      const moved = await api(base, '/instruments/stage/signals/axis1.position', {
        method: 'PUT',
        body: JSON.stringify({ value: 0.2 }),
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      const submitted = await api(base, '/runs', {
        method: 'POST',
        body: JSON.stringify({
          plan: 'camera_acquire',
          args: { camera: 'cam', frames: 1000, exposure_ms: 200 },
        }),
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const uid = submitted.body.uid as string;
      // PostgreSQL has the run open (its start, some events) when the hub dies.
      await until(
        'the start and an event in PostgreSQL',
        () =>
          sql<{ name: string }>(dbUrl, 'SELECT name FROM run_documents WHERE run_uid = $1', [uid]).catch(
            () => [],
          ),
        (rows) => rows.some((r) => r.name === 'start') && rows.some((r) => r.name === 'event'),
      );
      hub.child.kill('SIGKILL');
      await hub.exited;

      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml());
      procs.push(hub);
      const reconciled = await hub.waitFor(/start-up reconciled what its previous process left open/);
      base = String((await hub.waitFor(/Benchtop ready at/)).url);
      assert.deepEqual(reconciled.runs, [{ uid, foundIn: 'catalog' }]);
      assert.deepEqual([...(reconciled.leasesReleased as string[])].sort(), ['cam', 'stage']);

      // The agent stopped the run's acquisition and closed its file: it holds the frames it reported.
      const ended = await agent.waitFor(
        new RegExp(`acquisition of cam ended: .*${uid}.* \\(stopped by the hub\\)`),
      );
      await agent.waitFor(/stopped 1 acquisition\(s\) of runs closed by a restarted hub/);
      const file = CompressedFramesReader.open(join(dir, 'agent', String(ended.file)), '/data');
      try {
        assert.equal(file.shape[0], ended.frames);
      } finally {
        file.close();
      }
      assert.ok(Number(ended.frames) >= 1 && Number(ended.frames) < 1000, `${ended.frames} frames`);

      // The catalog and the API: the run closed by a stop document naming the restart.
      const run = (await api(base, `/runs/${uid}`)).body as { status: string; reason: string };
      assert.equal(run.status, 'fail');
      assert.match(run.reason, /hub hub@\S+ restarted while the run was in progress/);
      const docs = (await api(base, `/runs/${uid}/documents`)).body as {
        name: string;
        doc: { uid: string; reason?: string; exit_status?: string; num_events?: Record<string, number> };
      }[];
      const stops = docs.filter((d) => d.name === 'stop');
      assert.equal(stops.length, 1);
      assert.equal(docs.at(-1)?.name, 'stop', 'the stop is the last document');
      assert.equal(stops[0]!.doc.reason, run.reason);
      const events = docs.filter((d) => d.name === 'event').length;
      assert.deepEqual(stops[0]!.doc.num_events, { primary: events });

      // PostgreSQL: that same stop, once (it came through the DOCS stream keyed by its uid).
      const stored = await until(
        'the stop in PostgreSQL',
        () =>
          sql<{ uid: string; doc: { reason: string; exit_status: string } }>(
            dbUrl,
            "SELECT uid, doc FROM run_documents WHERE run_uid = $1 AND name = 'stop'",
            [uid],
          ),
        (rows) => rows.length > 0,
      );
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.uid, stops[0]!.doc.uid);
      assert.equal(stored[0]!.doc.reason, run.reason);
      assert.equal(stored[0]!.doc.exit_status, 'fail');

      // /health and the metrics say what was reconciled.
      const health = (await api(base, '/health')).body;
      const restart = JSON.stringify(health);
      assert.match(restart, new RegExp(`"runs":\\[\\{"uid":"${uid}","foundIn":"catalog"\\}\\]`));
      assert.match(restart, /"acquisitionsStopped":\[\{[^\]]*"camera":"cam"[^\]]*"agent":"camhost"/);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /benchtop_hub_restart_reconciled\{what="runs"\} 1/);
      assert.match(metrics, /benchtop_hub_restart_reconciled\{what="acquisitions"\} 1/);
      assert.match(metrics, /benchtop_hub_restart_reconciled\{what="leases"\} 2/);

      // The restarted hub drives the agent's instruments at once: no lease conflict with itself.
      const again = await api(base, '/instruments/stage/signals/axis1.position', {
        method: 'PUT',
        body: JSON.stringify({ value: 0.5 }),
      });
      assert.equal(again.status, 200, JSON.stringify(again.body));
    });

    it('closes a run open only in PostgreSQL (the catalog lost) once, also across another restart', async () => {
      const submitted = await api(base, '/runs', {
        method: 'POST',
        body: JSON.stringify({
          plan: 'camera_acquire',
          args: { camera: 'cam', frames: 1000, exposure_ms: 200 },
        }),
      });
      const uid = submitted.body.uid as string;
      await until(
        'the start and an event in PostgreSQL',
        () => sql<{ name: string }>(dbUrl, 'SELECT name FROM run_documents WHERE run_uid = $1', [uid]),
        (rows) => rows.some((r) => r.name === 'start') && rows.some((r) => r.name === 'event'),
      );
      hub.child.kill('SIGKILL');
      await hub.exited;
      // The hub comes back on a new output directory: only the site's record knows the run.
      rmSync(join(dir, 'hub'), { recursive: true, force: true });
      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml());
      procs.push(hub);
      const reconciled = await hub.waitFor(/start-up reconciled what its previous process left open/);
      assert.deepEqual(reconciled.runs, [{ uid, foundIn: 'postgres' }]);
      await agent.waitFor(new RegExp(`acquisition of cam ended: .*${uid}.* \\(stopped by the hub\\)`));
      const events = await sql<{ n: string }>(
        dbUrl,
        "SELECT count(*) AS n FROM run_documents WHERE run_uid = $1 AND name = 'event'",
        [uid],
      );
      const stopOf = () =>
        sql<{ doc: { reason: string; num_events: Record<string, number> } }>(
          dbUrl,
          "SELECT doc FROM run_documents WHERE run_uid = $1 AND name = 'stop'",
          [uid],
        );
      const stored = await until('the stop in PostgreSQL', stopOf, (rows) => rows.length > 0);
      assert.equal(stored.length, 1);
      assert.match(stored[0]!.doc.reason, /hub hub@\S+ restarted while the run was in progress/);
      assert.deepEqual(stored[0]!.doc.num_events, { primary: Number(events[0]!.n) });

      // Killed and started again: nothing is left open, and the run still has one stop.
      hub.child.kill('SIGKILL');
      await hub.exited;
      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml());
      procs.push(hub);
      const second = await hub.waitFor(
        /start-up: nothing left open by a previous process|start-up reconciled/,
      );
      assert.deepEqual(second.runs, []);
      base = String((await hub.waitFor(/Benchtop ready at/)).url);
      assert.equal((await stopOf()).length, 1);
    });

    it('an agent not answering at the restart is told when it is heard from again', async () => {
      const submitted = await api(base, '/runs', {
        method: 'POST',
        body: JSON.stringify({
          plan: 'camera_acquire',
          args: { camera: 'cam', frames: 1000, exposure_ms: 200 },
        }),
      });
      const uid = submitted.body.uid as string;
      await until(
        'an event',
        async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
        (d) => d.length >= 1,
      );
      hub.child.kill('SIGKILL');
      await hub.exited;
      // The agent host freezes (its process stopped, the acquisition with it) until its last
      // heartbeat in the agents bucket is older than stale_after_ms: the new hub finds it stale.
      agent.child.kill('SIGSTOP');
      const nc = await connect({ servers: nats.url });
      try {
        const { agents } = await openBuckets(nc, 'lab');
        await until(
          'the agent stale in the agents bucket',
          async () => {
            const entry = await agents.get('camhost');
            return entry ? decode(AgentBirth, entry.value, 'agent record').lastHeartbeat : Date.now();
          },
          (lastHeartbeat) => Date.now() - lastHeartbeat > 1500,
        );
      } finally {
        await nc.close();
      }
      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml());
      procs.push(hub);
      const reconciled = await hub.waitFor(/start-up reconciled what its previous process left open/);
      assert.deepEqual(reconciled.runs, [{ uid, foundIn: 'catalog' }]);
      assert.deepEqual(
        (reconciled.agentsNotReached as { agent: string }[]).map((a) => a.agent),
        ['camhost'],
      );
      await hub.waitFor(/agent camhost not told to stop the closed runs' acquisitions yet/);
      base = String((await hub.waitFor(/Benchtop ready at/)).url);
      agent.child.kill('SIGCONT');
      await agent.waitFor(new RegExp(`acquisition of cam ended: .*${uid}.* \\(stopped by the hub\\)`));
      await hub.waitFor(/agent camhost, back, stopped 1 acquisition\(s\) of closed runs/);
      const health = await until(
        'the late stop on /health',
        async () => JSON.stringify((await api(base, '/health')).body),
        (h) =>
          new RegExp(`"acquisitionsStopped":\\[\\{[^\\]]*"file":"frames/${uid}/cam\\.frames\\.h5"`).test(h),
      );
      assert.match(health, /"agentsNotReached":\[\]/);
    });
  },
);
