import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/benchtop.js');

/** A Node outside the project that cannot strip types (Debian's Node 20), if this machine has one. */
function nodeWithoutTypescript(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const r = spawnSync(candidate, ['-p', 'Boolean(process.features.typescript)'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === 'false') return candidate;
  }
  return null;
}

const oldNode = nodeWithoutTypescript();

describe(
  'bin/benchtop.js on a Node without TypeScript re-runs itself with the pinned Node',
  {
    skip: oldNode ? false : 'no Node without type stripping on this machine',
  },
  () => {
    const { BENCHTOP_CONFIG: _config, ...env } = process.env;
    const benchtop = (...args: string[]) => spawnSync(oldNode!, [bin, ...args], { encoding: 'utf8', env });

    it('prints the version and passes the exit code through', () => {
      const version = benchtop('--version');
      assert.equal(version.status, 0, version.stderr);
      assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
      const invalid = benchtop('validate-config', join(root, 'no-such-file.toml'));
      assert.equal(invalid.status, 2);
    });

    it('its marker is not taken for a BENCHTOP_… setting by the configuration', () => {
      const r = benchtop('config', 'print', '--json');
      assert.equal(r.status, 0, r.stderr);
      assert.ok(JSON.parse(r.stdout).config.server);
    });
  },
);
