import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/benchtop.js');

/**
 * Start-up time of `benchtop --version` and `get`/`set` comes from what they import. Rather than
 * time them (the benchmark does: `npm run bench -- cli`), this checks the cause: which of
 * Benchtop's modules a command loads, recorded by a module hook in the child process.
 */
describe('the CLI imports a command’s modules only when that command runs', () => {
  let dir: string;
  let hooks: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'benchtop-lazy-'));
    hooks = join(dir, 'record-loads.mjs');
    writeFileSync(
      hooks,
      `import { registerHooks } from 'node:module';
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); } });
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Every file `benchtop <args>` loaded: Benchtop's own repository-relative, packages as URLs. */
  function loaded(args: string[]): string[] {
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(hooks).href, bin, ...args], {
      encoding: 'utf8',
    });
    const own = `${pathToFileURL(root).href}/`;
    return r.stderr
      .split('\n')
      .filter((l) => l.startsWith('LOADED '))
      .map((l) => l.slice('LOADED '.length))
      .map((url) => (url.startsWith(own) && !url.includes('/node_modules/') ? url.slice(own.length) : url));
  }

  const heavy = (modules: string[]) =>
    modules.filter((m) =>
      /^src\/(app|server|engine|storage\/(?!export\/export-formats)|instruments|sim)\//.test(m),
    );

  it('--version loads main.ts and a few small modules, nothing of the server, engine or storage', () => {
    const modules = loaded(['--version']);
    assert.ok(modules.includes('src/cli/main.ts'), modules.join('\n'));
    assert.deepEqual(heavy(modules), []);
    assert.ok(!modules.includes('src/cli/commands/start.ts'));
  });

  it('get and set load the signal commands only (and the request fails cleanly with no server)', () => {
    for (const args of [
      ['get', 'laser.wavelength', '--url', 'http://127.0.0.1:9'],
      ['set', 'laser.wavelength', '800', '--url', 'http://127.0.0.1:9'],
    ]) {
      const modules = loaded(args);
      assert.ok(modules.includes('src/cli/commands/signal-commands.ts'), modules.join('\n'));
      assert.deepEqual(heavy(modules), [], args.join(' '));
      assert.deepEqual(
        modules.filter(
          (m) => m.startsWith('src/cli/commands/') && m !== 'src/cli/commands/signal-commands.ts',
        ),
        [],
      );
      assert.ok(!modules.some((m) => m.includes('/@sinclair/typebox/')), 'no TypeBox');
      assert.ok(!modules.some((m) => m.includes('/node_modules/ws/')), 'no WebSocket client');
    }
  });

  it('the command that runs is the one loaded: runs list brings the catalog, not the run engine', () => {
    const modules = loaded(['runs', 'list', '--local', '--set', `storage.output_dir=${join(dir, 'data')}`]);
    assert.ok(modules.includes('src/cli/commands/runs.ts'), modules.join('\n'));
    assert.ok(modules.includes('src/storage/catalog/run-catalog.ts'));
    assert.ok(!modules.some((m) => m.startsWith('src/engine/run-engine') || m.startsWith('src/app/')));
  });
});
