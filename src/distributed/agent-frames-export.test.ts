import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ApiClient } from '../cli/client/api-client.ts';
import { exportCommand, exportRemoteCommand } from '../cli/commands/export.ts';
import { isBenchtopError } from '../core/errors.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { CompressedFramesReader } from '../storage/hdf5/compressed-frames-reader.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { api, until } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * `benchtop export` of a run whose camera frames stay on an agent: the frames file is fetched
 * through the hub (the run's file route) and placed beside the hub's run file, whose link to it
 * then resolves, so the exported frames stream is the agent's frames. With the agent offline
 * the export fails naming the agent and the file, and writes nothing.
 */

function quiet() {
  const text: string[] = [];
  const stream = { isTTY: false, write: (c: string) => text.push(c) > 0 } as unknown as NodeJS.WritableStream;
  return { text, io: { out: stream, err: stream } };
}

describe('exporting a run whose camera frames are on an agent', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-agent-export-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let base = '';
  let agent: SiteProcess;
  let uid = '';
  // biome-ignore lint/suspicious/noExplicitAny: documents checked field by field
  let resource: Record<string, any> = {};

  before(async () => {
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
request_timeout_ms = 2000
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "cam"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI" }
`,
    );
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
request_timeout_ms = 2000
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
    const submitted = await api(base, '/runs', {
      method: 'POST',
      body: JSON.stringify({ plan: 'camera_acquire', args: { camera: 'cam', frames: 2, exposure_ms: 1 } }),
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    uid = submitted.body.uid;
    const run = await until(
      'run finished',
      async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
      (r) => r.status !== undefined && r.status !== 'running',
    );
    assert.equal(run.status, 'success', JSON.stringify(run));
    const docs = (await api(base, `/runs/${uid}/documents?name=stream_resource`)).body as {
      doc: Record<string, unknown>;
    }[];
    resource = docs[0]!.doc;
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports the frames stream with the agent's pixels, frame numbers and timestamps", async () => {
    const out = join(dir, 'parquet');
    const { io } = quiet();
    const files = await exportRemoteCommand(new ApiClient({ url: base }), uid, 'parquet', out, io);
    assert.deepEqual(
      files.map((f) => f.slice(out.length + 1)),
      ['primary.parquet', 'primary_frames.parquet'],
    );
    const frames = tableFromIPC(
      readParquet(readFileSync(join(out, 'primary_frames.parquet'))).intoIPCStream(),
    );
    const [height, width] = resource.parameters.shape as [number, number];
    const agentFile = CompressedFramesReader.open(join(dir, 'agent', resource.parameters.path), '/data');
    try {
      assert.deepEqual(agentFile.shape, [2, height, width]);
      assert.equal(frames.numRows, 2);
      const events = (await api(base, `/runs/${uid}/documents?name=event`)).body as {
        doc: { timestamps: Record<string, number> };
      }[];
      for (let row = 0; row < 2; row++) {
        const exported = frames.get(row)!;
        const pixels = agentFile.rows(row, row + 1);
        assert.ok(
          pixels.some((p) => p > 0),
          'the agent frame has an image',
        );
        const got = exported.pixels.toArray() as Uint16Array;
        // Compared as bytes: a failing deepEqual would print megapixels.
        assert.ok(
          Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
            Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
          ),
          `frame ${row}: the exported pixels are the agent's`,
        );
        assert.equal(exported.width, width);
        assert.equal(exported.height, height);
        assert.equal(exported.bit_depth > 0, true);
        assert.equal(exported.exposure_ms, 1);
        // The event's camera timestamp (seconds) is the frame's, in microseconds in the export.
        const micros = frames.getChild('timestamp')!.data[0]!.values as BigInt64Array;
        assert.equal(micros[row], BigInt(Math.round(events[row]!.doc.timestamps.cam! * 1e6)));
      }
      assert.equal(Number(frames.get(1)!.frame_number) - Number(frames.get(0)!.frame_number), 1);
    } finally {
      agentFile.close();
    }
  });

  it('exports the HDF5 run file with the frames file beside it', async () => {
    const out = join(dir, 'hdf5');
    const { io } = quiet();
    const files = await exportRemoteCommand(new ApiClient({ url: base }), uid, 'hdf5', out, io);
    assert.ok(files.some((f) => f.endsWith('/cam.frames.h5')));
    assert.ok(
      readFileSync(join(out, 'cam.frames.h5')).equals(
        readFileSync(join(dir, 'agent', resource.parameters.path)),
      ),
      "the exported frames file is the agent's",
    );
  });

  it("refuses a local export of the hub's output directory, naming the agent's file", async () => {
    const catalog = RunCatalog.inOutputDir(join(dir, 'hub'));
    try {
      const { io } = quiet();
      await assert.rejects(
        exportCommand(catalog, join(dir, 'hub'), uid, 'parquet', join(dir, 'local'), io),
        /camera frames are on agent camhost \(frames\/.*\/cam\.frames\.h5\); .*export it from the hub's server/,
      );
    } finally {
      catalog.close();
    }
    assert.equal(existsSync(join(dir, 'local')), false);
  });

  it('fails naming the agent and the file when the agent is offline, and exports nothing', async () => {
    agent.child.kill('SIGKILL');
    await agent.exited;
    const out = join(dir, 'offline');
    const { io } = quiet();
    await assert.rejects(
      exportRemoteCommand(new ApiClient({ url: base }), uid, 'parquet', out, io),
      (error: unknown) => {
        assert.ok(isBenchtopError(error), String(error));
        assert.match(error.message, /cam\.frames\.h5 are on agent camhost/);
        assert.match(error.message, /Nothing was exported/);
        assert.equal(error.details.agent, 'camhost');
        return true;
      },
    );
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'no partial export');
  });
});
