import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Benchtop } from '../app/benchtop.ts';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import type { RunStart } from '../core/documents.ts';
import { silentLogger } from '../core/logger.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { clientOptions } from './client/api-client.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, 'main.ts');

const SERVER_RUN = '5e1f0000-0000-4000-8000-00000000005e';
const LOCAL_RUN = '10ca1000-0000-4000-8000-0000000010ca';

/** A finished `count` run with this uid, in this catalog. */
function recordRun(catalog: RunCatalog, uid: string, sample: string): void {
  const start: RunStart = {
    uid,
    time: 1_780_000_000,
    plan_name: 'count',
    plan_args: { num: 1 },
    metadata: { sample },
    config: {},
    instruments: {},
    versions: { benchtop: '0.1.0' },
  };
  catalog.recordStart(start, 'arrow');
  catalog.recordStop(
    {
      uid: `${uid}-stop`,
      run_start: uid,
      time: start.time + 1,
      exit_status: 'success',
      reason: '',
      num_events: {},
    },
    [],
  );
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The rule of the client commands, as a user meets it: the project directory holds a local
 * catalog (`./data`, the default output_dir, as after `npm start` or a `run --local`) while the
 * server writes elsewhere. `runs list` must show the server's runs, not the directory's.
 */
describe('client commands: the server when one answers, local files only with --local or none', () => {
  let root: string;
  let cwd: string;
  let bt: Benchtop;
  let url: string;
  // The caller's environment must not choose for the test.
  const { BENCHTOP_CONFIG: _config, BENCHTOP_URL: _url, ...baseEnv } = process.env;
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    run(process.execPath, [MAIN, ...args], { cwd, env: { ...baseEnv, ...env }, timeout: 60_000 });
  const uids = (stdout: string) => (JSON.parse(stdout) as { uid: string }[]).map((r) => r.uid);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'benchtop-server-or-local-'));
    const toml = `[server]\nport = 0\n[simulation]\nenabled = false\n[storage]\noutput_dir = "${join(root, 'server-data')}"\n`;
    bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
    ({ url } = await bt.start());
    recordRun(bt.catalog, SERVER_RUN, 'on-the-server');
    cwd = join(root, 'project');
    mkdirSync(cwd);
    const local = RunCatalog.inOutputDir(join(cwd, 'data'));
    try {
      recordRun(local, LOCAL_RUN, 'in-this-directory');
    } finally {
      local.close();
    }
  });

  after(async () => {
    await bt.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the server is --url, else $BENCHTOP_URL, else http://127.0.0.1:8080', () => {
    // The child processes below name the server with $BENCHTOP_URL: port 8080 may be anyone's here.
    assert.equal(clientOptions({}, {}).url, 'http://127.0.0.1:8080');
    assert.equal(clientOptions({}, { BENCHTOP_URL: 'http://lab:9000/' }).url, 'http://lab:9000');
    assert.equal(clientOptions({ url: 'http://x:1' }, { BENCHTOP_URL: 'http://lab:9000' }).url, 'http://x:1');
  });

  it('--help states the rule, for the program and for each client command', async () => {
    for (const args of [['--help'], ['runs', 'list', '--help'], ['export', '--help'], ['get', '--help']]) {
      const { stdout } = await cli({}, ...args);
      const text = stdout.replace(/\s+/g, ' ');
      assert.match(
        text,
        /talk to the Benchtop server at --url, else \$BENCHTOP_URL, else http:\/\/127\.0\.0\.1:8080/,
      );
      assert.match(text, /only with --local, or when no server answers/);
    }
  });

  it('runs list and runs show ask the server at $BENCHTOP_URL, though the directory has a catalog', async () => {
    const listed = await cli({ BENCHTOP_URL: url }, 'runs', 'list', '--json');
    assert.deepEqual(uids(listed.stdout), [SERVER_RUN]);
    assert.equal(listed.stderr, '');
    const shown = await cli({ BENCHTOP_URL: url }, 'runs', 'show', SERVER_RUN);
    assert.match(shown.stdout, /metadata: .*"on-the-server"/);
  });

  it('--local reads the directory’s catalog even when a server answers', async () => {
    const listed = await cli({ BENCHTOP_URL: url }, 'runs', 'list', '--local', '--json');
    assert.deepEqual(uids(listed.stdout), [LOCAL_RUN]);
    assert.equal(listed.stderr, '');
    const shown = await cli({ BENCHTOP_URL: url }, 'runs', 'show', LOCAL_RUN, '--local');
    assert.match(shown.stdout, /metadata: .*"in-this-directory"/);
  });

  it('with no server answering it falls back to the local catalog and says so on stderr', async () => {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const listed = await cli({ BENCHTOP_URL: nobody }, 'runs', 'list', '--json');
    assert.deepEqual(uids(listed.stdout), [LOCAL_RUN]);
    assert.match(
      listed.stderr,
      new RegExp(`no server answers at ${nobody} \\(ECONNREFUSED\\); using the local files instead`),
    );
  });

  it('--local where nothing was recorded says so and leaves no catalog behind', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await assert.rejects(
      run(process.execPath, [MAIN, 'runs', 'list', '--local'], { cwd: empty, env: baseEnv, timeout: 60_000 }),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(
          error.stderr,
          /no run catalog in \.\/data \(storage\.output_dir\): no run was recorded there/,
        );
        return true;
      },
    );
    assert.ok(!existsSync(join(empty, 'data')));
  });

  it('a server named with --url must answer: no fallback, exit 1', async () => {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(
      cli({}, 'runs', 'list', '--url', nobody),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, new RegExp(`cannot reach Benchtop at ${nobody}: ECONNREFUSED`));
        return true;
      },
    );
  });

  it('an error from a server that answered is not a reason to fall back', async () => {
    await assert.rejects(
      cli({ BENCHTOP_URL: url }, 'runs', 'show', LOCAL_RUN),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.doesNotMatch(error.stderr, /local files/);
        return true;
      },
    );
  });

  it('run never falls back to driving instruments in this process', async () => {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(
      cli({ BENCHTOP_URL: nobody }, 'run', 'count', '--detectors', 'meter.power', '--num', '1'),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(
          error.stderr,
          /cannot reach Benchtop at .*--local runs the plan in this process instead/,
        );
        return true;
      },
    );
  });
});
