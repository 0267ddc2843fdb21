import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { silentLogger } from '../../core/logger.ts';
import { flagOverrides } from '../config-source.ts';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ALD = fileURLToPath(new URL('../../../config/ald.toml', import.meta.url));
const SHIPPED = fileURLToPath(new URL('../../../config/recipes/tma-h2o-20.toml', import.meta.url));
// Whatever the caller's environment points at, the CLI sees only what each test gives it.
const {
  BENCHTOP_CONFIG: _c,
  BENCHTOP_URL: _u,
  BENCHTOP_API_KEY: _k,
  BENCHTOP_TOKEN: _t,
  ...ENV
} = process.env;

function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'benchtop-recipe-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe(
  'benchtop recipe validate FILE (against the configuration, no server)',
  { concurrency: true },
  () => {
    it('a good TOML or JSON file: exit 0, its steps and cycles counted', async () => {
      const json = file(
        'nested.json',
        JSON.stringify({
          name: 'nested',
          steps: [
            {
              type: 'loop',
              count: 2,
              steps: [
                { type: 'valve', valve: 'TMA', duration_ms: 100 },
                { type: 'loop', count: 3, steps: [{ type: 'purge', duration_ms: 500 }] },
              ],
            },
          ],
        }),
      );
      const [toml, nested] = await Promise.all([
        cli('recipe', 'validate', SHIPPED, '--config', ALD),
        cli('recipe', 'validate', json, '--config', ALD),
      ]);
      assert.equal(toml.status, 0, toml.stderr);
      assert.equal(toml.stdout, 'tma-h2o-20: valid (81 steps, 20 cycles)\n');
      assert.equal(nested.status, 0, nested.stderr);
      assert.equal(nested.stdout, 'nested: valid (8 steps, 2 cycles)\n');
    });

    it('a malformed file: exit 1 and every problem with its path, nested steps included', async () => {
      const bad = file(
        'malformed.toml',
        `name = "malformed"
[[steps]]
type = "valve"
valve = "TMA"
[[steps]]
type = "loop"
count = 0
[[steps.steps]]
type = "purge"
duration_ms = -5
[[steps]]
type = "set"
signal = "mfc1_setpoint"
value = 5
ramp = 3
[[steps]]
type = "pulse"
`,
      );
      const res = await cli('recipe', 'validate', bad, '--config', ALD);
      assert.equal(res.status, 1);
      assert.equal(
        res.stderr,
        `benchtop: malformed: 5 problems:
  - /steps/0/duration_ms: Expected required property
  - /steps/1/count: Expected integer to be greater or equal to 1; got 0
  - /steps/1/steps/0/duration_ms: Expected integer to be greater or equal to 0; got -5
  - /steps/2/ramp: Unexpected property; got 3
  - /steps/3/type: must be one of valve, purge, set, wait, loop; got "pulse"
`,
      );
      assert.equal(res.stdout, '');
    });

    it('names the tool does not have: exit 1, each with its path and what [process] offers', async () => {
      const bad = file(
        'unknown-names.toml',
        `name = "unknown-names"
[[preconditions]]
signal = "pump"
[[steps]]
type = "loop"
count = 2
[[steps.steps]]
type = "valve"
valve = "TEOS"
duration_ms = 100
[[steps.steps]]
type = "purge"
gas = "Ar"
duration_ms = 100
[[steps]]
type = "wait"
until = "chamber_temperature ~ 200"
timeout_s = 10
[[steps]]
type = "set"
signal = "heater"
value = true
ramp_rate = 2
`,
      );
      const res = await cli('recipe', 'validate', bad, '--config', ALD);
      assert.equal(res.status, 1);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines[0], 'benchtop: unknown-names: 6 problems:');
      assert.deepEqual(lines.slice(1), [
        '  - /preconditions/0: needs min, max or equals',
        '  - /steps/0/steps/0/valve: no valve "TEOS" in [process.valves] (known: TMA, H2O, N2)',
        '  - /steps/0/steps/1/gas: no gas "Ar" in [process.gases] (known: N2)',
        '  - /steps/1/until: "chamber_temperature ~ 200" is not a condition like "chamber_temperature >= 195"',
        '  - /steps/2/signal: "heater" is neither instrument.signal nor a [process.parameters] name (known: pump, n2_ready, precursor_interlock, chamber_pressure, chamber_temperature, chamber_temperature_setpoint, mfc1_setpoint)',
        '  - /steps/2/ramp_rate: only a number can be ramped',
      ]);
    });

    it('a file that is not TOML: exit 1 saying so', async () => {
      const res = await cli('recipe', 'validate', file('broken.toml', 'name = "x\n'), '--config', ALD);
      assert.equal(res.status, 1);
      assert.match(res.stderr, /^benchtop: the recipe is not valid TOML: /);
    });
  },
);

describe('benchtop recipe list / run against a server (config/ald.toml, simulated PLC)', () => {
  let bt: Benchtop;
  let url: string;
  before(async () => {
    const flags = flagOverrides({
      set: ['server.port=0', 'simulation.ports.plc=0', `storage.output_dir=${join(dir, 'data')}`],
    });
    bt = new Benchtop(loadBenchtopConfig({ file: ALD, env: {}, flags }), silentLogger());
    ({ url } = await bt.start());
  });
  after(() => bt.stop());

  const pulses = `name = "cli-pulses"
description = "two short TMA pulses"
growth_per_cycle_nm = 0.1
[[steps]]
type = "loop"
count = 2
[[steps.steps]]
type = "valve"
valve = "TMA"
duration_ms = 50
[[steps.steps]]
type = "purge"
duration_ms = 1000
`;

  it('list shows the recipes the configuration ships, at their latest version', async () => {
    const res = await cli('recipe', 'list', '--url', url);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'tma-h2o-20  v1  config  Al2O3 from TMA and H2O, 20 cycles\n');
  });

  it('run FILE saves it as a new version and runs exactly that version to success', async () => {
    const res = await cli(
      'recipe',
      'run',
      file('cli-pulses.toml', pulses),
      '--url',
      url,
      '--time-scale',
      '0.05',
      '--json',
    );
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, /^saved cli-pulses v1$/m);
    const view = JSON.parse(res.stdout) as {
      uid: string;
      plan: string;
      status: string;
      args: Record<string, unknown>;
      num_events: Record<string, number>;
    };
    assert.equal(view.status, 'success');
    assert.equal(view.plan, 'recipe');
    assert.deepEqual(view.args, { recipe: 'cli-pulses', version: 1, time_scale: 0.05 });
    assert.equal(view.num_events.primary, 4, 'two cycles of two steps');
    const info = bt.engine.get(view.uid)!;
    assert.deepEqual(
      { cycles_done: info.progress.detail?.cycles_done, thickness_nm: info.progress.detail?.thickness_nm },
      { cycles_done: 2, thickness_nm: 0.2 },
    );
    const listed = JSON.parse((await cli('recipe', 'list', '--url', url, '--json')).stdout) as {
      name: string;
      version: number;
      description: string | null;
    }[];
    assert.deepEqual(
      listed.map((r) => [r.name, r.version, r.description]),
      [
        ['cli-pulses', 1, 'two short TMA pulses'],
        ['tma-h2o-20', 1, 'Al2O3 from TMA and H2O, 20 cycles'],
      ],
    );
  });

  it('run NAME runs the stored recipe; a failing run exits 1 with its reason; an unknown name exits 1', async () => {
    const never = file(
      'never.toml',
      `name = "never"
[[steps]]
type = "wait"
until = "chamber_pressure > 100000"
timeout_s = 0.3
`,
    );
    // At once: the server queues the two runs.
    const [byName, failed, unknown] = await Promise.all([
      cli('recipe', 'run', 'cli-pulses', '--url', url, '--time-scale', '0.05'),
      cli('recipe', 'run', never, '--url', url),
      cli('recipe', 'run', 'no-such-recipe', '--url', url),
    ]);
    assert.equal(byName.status, 0, byName.stderr);
    assert.match(byName.stdout, /status:\s+success/);
    assert.doesNotMatch(byName.stderr, /saved/, 'a name is run as stored, not saved again');

    assert.equal(failed.status, 1);
    assert.match(
      failed.stdout,
      /status:\s+fail \(wait "chamber_pressure > 100000" did not hold within 0\.3 s/,
    );

    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no recipe "no-such-recipe"/);
  });
});
