import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { api } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * The real thing: a private nats-server, `benchtop agent` and `benchtop hub` as separate
 * processes; remote instruments read and written through the hub's API.
 */

const agentToml = (dir: string, url: string, id: string, instruments: string, extra = '') => `
[application]
name = "${id}"
log_level = "info"
[agent]
id = "${id}"
host = "${id}.lab"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
${extra}
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, id)}"
${instruments}
`;

const METER = `
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
`;
const STAGE = `
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
`;

const hubToml = (dir: string, url: string, name = 'hub') => `
instruments = []
[application]
name = "${name}"
log_level = "info"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
[server]
port = 0
[storage]
output_dir = "${join(dir, name)}"
`;

const SCAN = {
  detectors: ['meter.power'],
  motor: 'stage.axis1.position',
  start: 0,
  stop: 1,
  num: 5,
  settle_s: 0,
};

const singleToml = (dir: string) => `
[application]
name = "single"
[server]
port = 0
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'single')}"
${STAGE}
${METER}
`;

interface StoredDoc {
  name: string;
  doc: Record<string, unknown>;
}

async function runScan(base: string, args: typeof SCAN): Promise<{ status: string; documents: StoredDoc[] }> {
  const submitted = await api(base, '/runs', {
    method: 'POST',
    body: JSON.stringify({ plan: 'scan', args }),
  });
  assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
  const uid = submitted.body.uid as string;
  const run = await until(
    'scan finished',
    async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
    (r) => r.status !== undefined && r.status !== 'running',
  );
  return {
    status: String(run.status),
    documents: (await api(base, `/runs/${uid}/documents`)).body as StoredDoc[],
  };
}

/** What must be equal between one machine and several: document kinds and order, data keys, event fields, exit. */
function documentShape(documents: StoredDoc[]): unknown[] {
  return documents.map(({ name, doc }) => {
    if (name === 'descriptor')
      return {
        name,
        data_keys: Object.fromEntries(
          Object.entries(doc.data_keys as Record<string, Record<string, unknown>>)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, source: v.source, units: v.units }]),
        ),
      };
    if (name === 'event') return { name, data: Object.keys(doc.data as object).sort(), seq_num: doc.seq_num };
    if (name === 'stop') return { name, exit_status: doc.exit_status, num_events: doc.num_events };
    if (name === 'start')
      return { name, plan_name: doc.plan_name, motors: doc.motors, detectors: doc.detectors };
    return { name };
  });
}

/** Polls the hub until `check` passes (state arrives over the bus, not at a fixed time). */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (check(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

describe('hub and agents as separate processes over a private nats-server', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-site-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let hub: SiteProcess;
  let base = '';

  before(async () => {
    await nats.start();
    const a = startSiteProcess('agent', join(dir, 'a.toml'), agentToml(dir, nats.url, 'hostA', STAGE));
    const b = startSiteProcess('agent', join(dir, 'b.toml'), agentToml(dir, nats.url, 'hostB', METER));
    procs.push(a, b);
    await a.waitFor(/joined site/);
    await b.waitFor(/joined site/);
    hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml(dir, nats.url));
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists every agent's instruments with their host, ready", async () => {
    const list = await until(
      'both instruments ready',
      async () => (await api(base, '/instruments')).body as { id: string; state: string; host?: string }[],
      (l) => l.filter((i) => i.state === 'ready').length === 2,
    );
    const byId = Object.fromEntries(list.map((i) => [i.id, i]));
    assert.equal(byId.stage?.host, 'hostA.lab');
    assert.equal(byId.meter?.host, 'hostB.lab');
  });

  it('reads a remote signal through the hub, stamped on the agent', async () => {
    const before = Date.now();
    const { status, body } = await api(base, '/instruments/meter/signals/power');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(typeof body.value, 'number');
    assert.ok(body.timestamp >= before - 1000 && body.timestamp <= Date.now());
  });

  it('moves a remote stage and waits for the motion to complete on the agent', async () => {
    const put = await api(base, '/instruments/stage/signals/axis1.position', {
      method: 'PUT',
      body: JSON.stringify({ value: 2.5 }),
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const read = await api(base, '/instruments/stage/signals/axis1.position');
    assert.ok(Math.abs(read.body.value - 2.5) < 0.01, JSON.stringify(read.body));
  });

  it('refuses an out-of-range value at the hub, before it crosses the bus', async () => {
    const put = await api(base, '/instruments/stage/signals/axis1.velocity', {
      method: 'PUT',
      body: JSON.stringify({ value: -1 }),
    });
    assert.equal(put.status, 422, JSON.stringify(put.body));
  });

  it('refuses a second hub control of an instrument the first one drives, but lets it read', async () => {
    const second = startSiteProcess('hub', join(dir, 'hub2.toml'), hubToml(dir, nats.url, 'hub2'));
    procs.push(second);
    const base2 = String((await second.waitFor(/Benchtop ready at/)).url);
    await until(
      'stage seen by the second hub',
      async () => (await api(base2, '/instruments')).body as { id: string; state: string }[],
      (l) => l.find((i) => i.id === 'stage')?.state === 'ready',
    );
    const put = await api(base2, '/instruments/stage/signals/axis1.position', {
      method: 'PUT',
      body: JSON.stringify({ value: 1 }),
    });
    assert.equal(put.status, 409, JSON.stringify(put.body));
    assert.equal(put.body.error?.code ?? put.body.code, 'CONTROL_LEASE_HELD');
    assert.match(JSON.stringify(put.body), /controlled by hub@/);
    assert.equal((await api(base2, '/instruments/stage/signals/axis1.position')).status, 200);
    // The first hub still drives it.
    const again = await api(base, '/instruments/stage/signals/axis1.position', {
      method: 'PUT',
      body: JSON.stringify({ value: 1.5 }),
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('refuses at birth an agent whose instrument id another live agent has', async () => {
    const clash = startSiteProcess('agent', join(dir, 'c.toml'), agentToml(dir, nats.url, 'hostC', METER));
    procs.push(clash);
    const code = await clash.exited;
    assert.notEqual(code, 0);
    assert.match(clash.lines.join('\n'), /instrument id "meter" is already registered by agent "hostB"/);
  });

  it('a scan moving the stage on agent A while reading the meter on agent B gives the documents of one machine', async () => {
    const remote = await runScan(base, SCAN);
    assert.equal(remote.status, 'success', JSON.stringify(remote));
    const single = startSiteProcess('start', join(dir, 'single.toml'), singleToml(dir));
    procs.push(single);
    const singleBase = String((await single.waitFor(/Benchtop ready at/)).url);
    const local = await runScan(singleBase, SCAN);
    single.child.kill('SIGTERM');
    await single.exited;
    assert.equal(local.status, 'success', JSON.stringify(local));
    assert.deepEqual(documentShape(remote.documents), documentShape(local.documents));
    const events = remote.documents.filter((d) => d.name === 'event');
    assert.equal(events.length, SCAN.num);
    const positions = events.map(
      (e) => (e.doc as { data: Record<string, number> }).data['stage.axis1.position'],
    );
    for (const [i, p] of positions.entries()) assert.ok(Math.abs(p! - i * 0.25) < 0.01, `point ${i}: ${p}`);
  });

  it('kill -9 of an agent mid-run suspends the run; its restart resumes it to success', async () => {
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({ plan: 'scan', args: { ...SCAN, num: 12, settle_s: 0.3 } }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const uid = submitted.body.uid as string;
    await until(
      'two events',
      async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
      (d) => d.length >= 2,
    );
    const b = procs[1]!;
    b.child.kill('SIGKILL');
    await b.exited;
    const read = await api(base, '/instruments/meter/signals/power');
    assert.ok(read.status === 503 || read.status === 504, JSON.stringify(read.body));
    assert.match(JSON.stringify(read.body), /hostB/);
    const suspended = await until(
      'run suspended',
      async () => (await api(base, `/runs/${uid}`)).body as { live?: { state: string } },
      (r) => r.live?.state === 'suspended',
    );
    assert.equal(suspended.live?.state, 'suspended');
    const { alarms } = (await api(base, '/alarms?state=all')).body as {
      alarms: { id: string; active: boolean }[];
    };
    assert.equal(alarms.find((a) => a.id === 'comm:meter')?.active, true, JSON.stringify(alarms));
    const again = startSiteProcess('agent', join(dir, 'b.toml'), agentToml(dir, nats.url, 'hostB', METER));
    procs.push(again);
    await again.waitFor(/joined site/);
    const done = await until(
      'run finished',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string; live?: { state: string } },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(done.status, 'success', JSON.stringify(done));
    const events = (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[];
    assert.equal(events.length, 12);
  });

  it('a hub killed mid-run restarts, closes the run with a stop naming the restart and sees every agent again', async () => {
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({ plan: 'scan', args: { ...SCAN, num: 20, settle_s: 0.3 } }),
    });
    const uid = submitted.body.uid as string;
    await until(
      'an event',
      async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
      (d) => d.length >= 1,
    );
    hub.child.kill('SIGKILL');
    await hub.exited;
    hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml(dir, nats.url));
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
    const run = (await api(base, `/runs/${uid}`)).body as { status: string; reason: string };
    assert.equal(run.status, 'fail');
    assert.match(run.reason, /hub hub@\S+ restarted while the run was in progress/);
    await until(
      'both instruments ready on the new hub',
      async () => (await api(base, '/instruments')).body as { id: string; state: string }[],
      (l) => l.filter((i) => i.state === 'ready').length === 2,
    );
    // The lease its previous process held was released at start-up: the restarted hub drives the stage at once.
    const put = await api(base, '/instruments/stage/signals/axis1.position', {
      method: 'PUT',
      body: JSON.stringify({ value: 0.5 }),
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
  });
});
