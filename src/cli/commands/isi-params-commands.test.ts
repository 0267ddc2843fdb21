import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

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
    assert.match(backup.out, /config\/backups\/isi_parameters\.pre_deployment\.json/);
    writeFileSync(join(cwd, 'config', 'isi_parameters.json'), JSON.stringify({ stimulus: { contrast: 3 } }));
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
});
