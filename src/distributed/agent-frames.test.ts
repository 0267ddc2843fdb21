import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * A camera on an agent: a camera_acquire run submitted to the hub keeps the frames in a file on
 * the agent's host; the run's documents reference that file (stream_resource naming the host)
 * and the hub's file route fetches it from the agent over NATS, byte for byte.
 */

// biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, checked field by field
async function api(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    ...init,
    headers: init?.body ? { 'content-type': 'application/json' } : {},
  });
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await probe();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}; last: ${JSON.stringify(last)}`);
}

describe('camera frames kept on the agent host, served by the hub', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-agent-frames-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let base = '';
  let agent: SiteProcess;
  let agentToml = `
[application]
name = "camhost"
[agent]
id = "camhost"
host = "camhost.lab"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "NATS_URL"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "cam"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI" }
`;

  before(async () => {
    await nats.start();
    agentToml = agentToml.replace('NATS_URL', nats.url);
    agent = startSiteProcess('agent', join(dir, 'agent.toml'), agentToml);
    procs.push(agent);
    await agent.waitFor(/joined site/);
    const hub = startSiteProcess(
      'hub',
      join(dir, 'hub.toml'),
      `
instruments = []
[application]
name = "hub"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${nats.url}"
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
`,
    );
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
    await until(
      'camera ready at the hub',
      async () => (await api(base, '/instruments')).body as { id: string; state: string }[],
      (l) => l.find((i) => i.id === 'cam')?.state === 'ready',
    );
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records a camera_acquire run whose frames file, downloaded through the hub, is the agent's file", async () => {
    const FRAMES = 3;
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({
        plan: 'camera_acquire',
        args: { camera: 'cam', frames: FRAMES, exposure_ms: 1 },
      }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const uid = submitted.body.uid as string;
    const run = await until(
      'run finished',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string; files?: string[] },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(run.status, 'success', JSON.stringify(run));
    const docs = (await api(base, `/runs/${uid}/documents`)).body as {
      name: string;
      // biome-ignore lint/suspicious/noExplicitAny: documents of several kinds, checked field by field
      doc: Record<string, any>;
    }[];
    const resource = docs.find((d) => d.name === 'stream_resource')?.doc;
    assert.ok(resource, 'a stream_resource document');
    assert.equal(resource.parameters.host, 'camhost.lab');
    assert.equal(resource.parameters.agent, 'camhost');
    const [height, width] = resource.parameters.shape as [number, number];
    assert.equal(docs.filter((d) => d.name === 'event').length, FRAMES);
    const datums = docs.filter((d) => d.name === 'stream_datum').map((d) => d.doc.indices);
    assert.deepEqual(datums, [{ start: 0, stop: FRAMES }]);

    const agentFile = join(dir, 'agent', resource.parameters.path as string);
    const expected = readFileSync(agentFile);
    assert.equal(expected.length, FRAMES * height * width * 2, 'the agent file holds every frame');
    assert.ok(
      expected.some((b) => b !== 0),
      'with pixels in it',
    );
    assert.ok(
      run.files?.some((f) => f.endsWith('cam-frames.u16')),
      JSON.stringify(run.files),
    );
    const res = await fetch(`${base}/api/v1/runs/${uid}/files/cam-frames.u16`);
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers.get('content-length')), expected.length);
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected), 'the downloaded file equals the agent file byte for byte');
    // No pixel crossed into the hub's own output directory's run file as frames.
    assert.equal(run.files?.filter((f) => f.startsWith('agent://')).length, 1);
  });

  it('an agent killed mid-acquisition: the run suspends, resumes with the rest, and the file has each frame once', async () => {
    const FRAMES = 6;
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({
        plan: 'camera_acquire',
        args: { camera: 'cam', frames: FRAMES, exposure_ms: 500 },
      }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const uid = submitted.body.uid as string;
    await until(
      'two frames in',
      async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
      (d) => d.length >= 2,
    );
    agent.child.kill('SIGKILL');
    await agent.exited;
    await until(
      'run suspended',
      async () => (await api(base, `/runs/${uid}`)).body as { live?: { state: string } },
      (r) => r.live?.state === 'suspended',
    );
    agent = startSiteProcess('agent', join(dir, 'agent.toml'), agentToml);
    procs.push(agent);
    const run = await until(
      'run finished',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(run.status, 'success', JSON.stringify(run));
    const docs = (await api(base, `/runs/${uid}/documents`)).body as {
      name: string;
      // biome-ignore lint/suspicious/noExplicitAny: documents of several kinds, checked field by field
      doc: Record<string, any>;
    }[];
    assert.equal(docs.filter((d) => d.name === 'event').length, FRAMES);
    const rows = docs
      .filter((d) => d.name === 'stream_datum')
      .map((d) => d.doc.indices as { start: number; stop: number });
    // Every row of the file referenced once, in order, across the suspension.
    assert.deepEqual(
      rows.flatMap((r) => Array.from({ length: r.stop - r.start }, (_, i) => r.start + i)),
      Array.from({ length: FRAMES }, (_, i) => i),
    );
    const resource = docs.find((d) => d.name === 'stream_resource')!.doc;
    const [height, width] = resource.parameters.shape as [number, number];
    const expected = readFileSync(join(dir, 'agent', resource.parameters.path as string));
    assert.equal(expected.length, FRAMES * height * width * 2, 'no frame twice, none missing');
    const got = Buffer.from(
      await (await fetch(`${base}/api/v1/runs/${uid}/files/cam-frames.u16`)).arrayBuffer(),
    );
    assert.ok(got.equals(expected), 'the downloaded file equals the agent file');
  });

  it('aborting the run stops the camera on the agent: the file ends with the frames the run counted', async () => {
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({
        plan: 'camera_acquire',
        args: { camera: 'cam', frames: 1000, exposure_ms: 200 },
      }),
    });
    const uid = submitted.body.uid as string;
    await until(
      'a frame in',
      async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
      (d) => d.length >= 1,
    );
    const aborted = await api(base, `/runs/${uid}/abort`, { method: 'POST', body: JSON.stringify({}) });
    assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
    const run = await until(
      'run ended',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(run.status, 'abort', JSON.stringify(run));
    const docs = (await api(base, `/runs/${uid}/documents`)).body as {
      name: string;
      // biome-ignore lint/suspicious/noExplicitAny: documents of several kinds, checked field by field
      doc: Record<string, any>;
    }[];
    const events = docs.filter((d) => d.name === 'event').length;
    const resource = docs.find((d) => d.name === 'stream_resource')!.doc;
    const [height, width] = resource.parameters.shape as [number, number];
    const path = join(dir, 'agent', resource.parameters.path as string);
    // The agent says its acquisition ended, stopped: its file holds what the run saw (plus the one frame in flight).
    const ended = await agent.waitFor(
      new RegExp(`acquisition of cam ended: .*${uid}.* \\(stopped by the hub\\)`),
    );
    const frames = readFileSync(path).length / (height * width * 2);
    assert.equal(frames, ended.frames);
    assert.ok(frames >= events && frames <= events + 1, `${frames} frames in the file, ${events} events`);
  });
});
