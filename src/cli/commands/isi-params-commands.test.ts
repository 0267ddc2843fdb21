import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { IsiSessionService } from '../../imaging/isi-session-service.ts';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'benchtop-isi-params-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, 'isi', 'params', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

describe('benchtop isi params', () => {
  it('backs up under a label, validates, restores', () => {
    assert.equal(cli('validate').status, 0, 'no file yet: the defaults, valid');
    const backup = cli('backup', '--label', 'pre_deployment');
    assert.equal(backup.status, 0, backup.err);
    assert.match(backup.out, /data\/isi\/backups\/isi_parameters\.pre_deployment\.json/);
    writeFileSync(
      join(cwd, 'data', 'isi', 'isi_parameters.json'),
      JSON.stringify({ stimulus: { contrast: 3 } }),
    );
    const invalid = cli('validate');
    assert.equal(invalid.status, 1);
    assert.match(invalid.err, /\/stimulus\/contrast/);
    assert.equal(cli('restore', 'pre_deployment').status, 0);
    assert.equal(cli('validate').status, 0);
    assert.equal(JSON.parse(cli('show', '--group', 'stimulus').out).contrast, 1);
    assert.equal(cli('backups').out, 'pre_deployment\n');
    const missing = cli('restore', 'nope');
    assert.notEqual(missing.status, 0);
    assert.match(missing.err, /no parameter backup "nope"/);
  });

  it("works on the server's file: the one isiParametersPath gives for the configuration's output_dir", async () => {
    const out = join(cwd, 'elsewhere');
    const toml = join(cwd, 'rig.toml');
    writeFileSync(toml, `[storage]\noutput_dir = ${JSON.stringify(out)}\n`);
    const set = spawnSync(process.execPath, [main, 'isi', 'params', 'reset', '--config', toml], {
      cwd,
      encoding: 'utf8',
    });
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /elsewhere\/isi\/isi_parameters\.json: all groups reset/);
    const { config } = loadBenchtopConfig({ file: toml, env: {} });
    const service = new IsiSessionService({
      outputDir: config.storage.output_dir,
      bus: new EventBus<BenchtopEvents>(),
      clock: systemClock,
      log: silentLogger(),
    });
    service.parameters.updateGroup('stimulus', { contrast: 0.25 });
    assert.equal(service.parameters.path, join(out, 'isi', 'isi_parameters.json'));
    const shown = spawnSync(
      process.execPath,
      [main, 'isi', 'params', 'show', '--group', 'stimulus', '--config', toml],
      { cwd, encoding: 'utf8' },
    );
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).contrast, 0.25, 'the CLI reads what the server wrote');
  });
});
