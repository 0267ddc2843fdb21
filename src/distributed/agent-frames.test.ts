import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { frameDatasetPath } from '../storage/hdf5/run-file-layout.ts';
import { hasH5py, PYTHON } from '../storage/hdf5/test-support/run-file-reader.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { api, until } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * A camera on an agent: a camera_acquire run submitted to the hub keeps the frames in an HDF5
 * file on the agent's host; the run's documents reference that file (stream_resource naming the
 * host, path and dataset) and the hub's file route fetches it from the agent over NATS, byte for
 * byte. h5py reads what was downloaded.
 */

/** The frames dataset as h5py reads it: shape, dtype and each frame's pixel sum (0: a missing frame). */
function h5pyFrames(path: string, dataset: string): { shape: number[]; dtype: string; sums: number[] } {
  const script = `import h5py, json, sys
d = h5py.File(sys.argv[1], 'r')[sys.argv[2]]
print(json.dumps({'shape': d.shape, 'dtype': str(d.dtype), 'sums': [int(d[r].sum(dtype='u8')) for r in range(d.shape[0])]}))`;
  const out = spawnSync(PYTHON, ['-c', script, path, dataset], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

describe(
  'camera frames kept on the agent host, served by the hub',
  {
    timeout: 120_000,
    skip: !hasH5py() && 'python3-h5py not installed',
  },
  () => {
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
      assert.equal(resource.mimetype, 'application/x-hdf5');
      assert.equal(resource.parameters.host, 'camhost.lab');
      assert.equal(resource.parameters.agent, 'camhost');
      assert.equal(resource.parameters.dataset, '/data');
      const [height, width] = resource.parameters.shape as [number, number];
      assert.deepEqual(resource.parameters.chunk_shape, [1, height, width]);
      assert.equal(docs.filter((d) => d.name === 'event').length, FRAMES);
      const datums = docs.filter((d) => d.name === 'stream_datum').map((d) => d.doc.indices);
      assert.deepEqual(datums, [{ start: 0, stop: FRAMES }]);

      const agentFile = join(dir, 'agent', resource.parameters.path as string);
      const expected = readFileSync(agentFile);
      assert.ok(
        run.files?.some((f) => f.endsWith('cam.frames.h5')),
        JSON.stringify(run.files),
      );
      const res = await fetch(`${base}/api/v1/runs/${uid}/files/cam.frames.h5`);
      assert.equal(res.status, 200);
      assert.equal(Number(res.headers.get('content-length')), expected.length);
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(got.length, expected.length);
      assert.ok(got.equals(expected), 'the downloaded file equals the agent file byte for byte');
      const downloads = join(dir, 'downloads');
      mkdirSync(downloads);
      writeFileSync(join(downloads, 'cam.frames.h5'), got);
      const frames = h5pyFrames(join(downloads, 'cam.frames.h5'), resource.parameters.dataset);
      assert.deepEqual(frames.shape, [FRAMES, height, width], 'the file holds every frame');
      assert.equal(frames.dtype, 'uint16');
      assert.ok(
        frames.sums.every((sum) => sum > 0),
        'with pixels in each',
      );
      // The hub's run file, downloaded beside it, reads the frames through its link to that file.
      const runFile = basename(run.files!.find((f) => f.endsWith('.h5') && !f.startsWith('agent://'))!);
      const hubFile = Buffer.from(
        await (await fetch(`${base}/api/v1/runs/${uid}/files/${runFile}`)).arrayBuffer(),
      );
      writeFileSync(join(downloads, runFile), hubFile);
      const stream = docs.find((d) => d.name === 'descriptor' && d.doc.data_keys.cam)!.doc.name as string;
      assert.deepEqual(h5pyFrames(join(downloads, runFile), frameDatasetPath(stream, 'cam')), frames);
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
      const agentFile = join(dir, 'agent', resource.parameters.path as string);
      const frames = h5pyFrames(agentFile, resource.parameters.dataset);
      assert.deepEqual(frames.shape, [FRAMES, height, width], 'no frame twice');
      assert.ok(
        frames.sums.every((sum) => sum > 0),
        `none missing: ${frames.sums}`,
      );
      const got = Buffer.from(
        await (await fetch(`${base}/api/v1/runs/${uid}/files/cam.frames.h5`)).arrayBuffer(),
      );
      assert.ok(got.equals(readFileSync(agentFile)), 'the downloaded file equals the agent file');
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
      const path = join(dir, 'agent', resource.parameters.path as string);
      // The agent says its acquisition ended, stopped: its file holds what the run saw (plus the one frame in flight).
      const ended = await agent.waitFor(
        new RegExp(`acquisition of cam ended: .*${uid}.* \\(stopped by the hub\\)`),
      );
      const frames = h5pyFrames(path, resource.parameters.dataset).shape[0]!;
      assert.equal(frames, ended.frames);
      assert.ok(frames >= events && frames <= events + 1, `${frames} frames in the file, ${events} events`);
    });
  },
);
