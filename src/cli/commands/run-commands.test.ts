import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient } from '../client/api-client.ts';
import { runRemote } from './run.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

function capture() {
  const text: string[] = [];
  return {
    text,
    stream: { isTTY: false, write: (c: string) => text.push(c) > 0 } as unknown as NodeJS.WritableStream,
  };
}

async function body(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw ? JSON.parse(raw) : undefined;
}

describe('benchtop run against a server', () => {
  let server: Server;
  let url: string;
  const received: { method: string; path: string; key: string | undefined; body: unknown }[] = [];
  let polls = 0;

  before(async () => {
    server = createServer(async (req, res) => {
      received.push({
        method: req.method!,
        path: req.url!,
        key: req.headers['x-api-key'] as string,
        body: await body(req),
      });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/api/v1/runs') {
        res.statusCode = 201;
        res.end(JSON.stringify({ uid: 'run-1', state: 'queued' }));
        return;
      }
      if (req.method === 'GET' && req.url === '/api/v1/runs/run-1') {
        polls++;
        const done = Math.min(polls, 3);
        const finished = polls > 3;
        res.end(
          JSON.stringify({
            uid: 'run-1',
            plan: 'count',
            state: finished ? 'finished' : 'running',
            exit_status: finished ? 'success' : null,
            reason: finished ? '' : null,
            progress: { done, total: 3, eta_s: 3 - done },
            num_events: { primary: done },
            files: finished ? ['20260101-000000_count_run1.h5'] : [],
            warnings: polls >= 2 ? [{ message: 'the hdf5 writer is falling behind' }] : [],
          }),
        );
        return;
      }
      res.statusCode = 422;
      res.end(JSON.stringify({ error: { code: 'VALIDATION_FAILED', message: 'bad', details: {} } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.close();
  });

  it('POSTs the plan, follows GET /api/v1/runs/{uid} to the end and prints the run', async () => {
    const out = capture();
    const err = capture();
    const code = await runRemote(
      new ApiClient({ url, apiKey: 'btk_test' }),
      { plan: 'count', args: { detectors: ['meter.power'], num: 3 }, metadata: { sample: 'Si' } },
      { out: out.stream, err: err.stream, json: false },
      1,
    );
    assert.equal(code, 0);
    assert.deepEqual(received[0], {
      method: 'POST',
      path: '/api/v1/runs',
      key: 'btk_test',
      body: { plan: 'count', args: { detectors: ['meter.power'], num: 3 }, metadata: { sample: 'Si' } },
    });
    assert.ok(received.slice(1).every((r) => r.method === 'GET' && r.path === '/api/v1/runs/run-1'));
    const stdout = out.text.join('');
    assert.match(stdout, /uid:\s+run-1/);
    assert.match(stdout, /status:\s+success/);
    assert.match(stdout, /20260101-000000_count_run1\.h5/);
    const stderr = err.text.join('');
    assert.match(stderr, /count \[.*\] +33% 1\/3/);
    assert.equal(stderr.split('warning: the hdf5 writer is falling behind').length, 2, 'each warning once');
  });
});

describe('benchtop run --local, runs, export (child processes on the simulated lab)', () => {
  let dir: string;
  // The built-in simulated lab, whatever the caller's environment points at.
  const { BENCHTOP_CONFIG: _config, BENCHTOP_URL: _url, ...env } = process.env;
  const cli = (...args: string[]) => run(process.execPath, [MAIN, ...args], { env, timeout: 90_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'benchtop-run-cli-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a count in-process, records it in the catalog and exports it', async () => {
    const output = `storage.output_dir=${dir}`;
    const { stdout, stderr } = await cli(
      'run',
      'count',
      '--detectors',
      'meter.power,dmm.voltage',
      '--num',
      '3',
      '--metadata',
      'sample=Si-42',
      '--local',
      '--json',
      '--set',
      output,
      '--set',
      'storage.default_backend=arrow',
    );
    const view = JSON.parse(stdout) as {
      uid: string;
      status: string;
      files: string[];
      num_events: { primary: number };
    };
    assert.equal(view.status, 'success', stderr);
    assert.equal(view.num_events.primary, 3);
    assert.ok(view.files.length > 0 && view.files.every((f) => existsSync(f)), `files exist: ${view.files}`);
    assert.match(stderr, /count \[#+\] 100% 3\/3/);

    const listed = JSON.parse((await cli('runs', 'list', '--local', '--json', '--set', output)).stdout) as {
      uid: string;
    }[];
    assert.deepEqual(
      listed.map((r) => r.uid),
      [view.uid],
    );
    const shown = (await cli('runs', 'show', view.uid, '--local', '--set', output)).stdout;
    assert.match(shown, /status:\s+success/);
    assert.match(shown, /metadata: .*"sample":"Si-42"/);

    const dest = join(dir, 'export');
    const exported = await cli(
      'export',
      view.uid,
      '--local',
      '--format',
      'csv',
      '--out',
      dest,
      '--set',
      output,
    );
    const csv = join(dest, 'primary.csv');
    assert.ok(exported.stdout.includes(csv));
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4, 'a header and one row per event');
    assert.match(lines[0]!, /meter\.power/);
  });

  it('exits 1 with every argument problem before anything runs', async () => {
    await assert.rejects(
      cli(
        'run',
        'scan',
        '--detectors',
        'meter.pwr',
        '--motor',
        'meter.power',
        '--start',
        '0',
        '--stop',
        '1',
        '--num',
        '0',
        '--local',
        '--set',
        `storage.output_dir=${dir}`,
      ),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /3 problems/);
        assert.match(error.stderr, /\/detectors\/0/);
        assert.match(error.stderr, /\/motor/);
        assert.match(error.stderr, /\/num/);
        return true;
      },
    );
  });
});
