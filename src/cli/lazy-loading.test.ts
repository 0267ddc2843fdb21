import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
    return named(r.stderr);
  }

  /** Own files as repository-relative paths, packages as URLs (`loaded`'s naming). */
  function named(stderr: string): string[] {
    const own = `${pathToFileURL(root).href}/`;
    return stderr
      .split('\n')
      .filter((l) => l.startsWith('LOADED '))
      .map((l) => l.slice('LOADED '.length))
      .map((url) => (url.startsWith(own) && !url.includes('/node_modules/') ? url.slice(own.length) : url));
  }

  /** Every file `benchtop start` (the simulated lab, as `npm start`) loaded until it was ready. */
  async function loadedByStart(): Promise<string[]> {
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(hooks).href, bin, 'start', '--port', '0', '--bind', '127.0.0.1'].concat([
        '--set',
        `storage.output_dir=${join(dir, 'start-data')}`,
      ]),
      { env: { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`benchtop start exited with ${code}:\n${stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('Benchtop ready at')) resolve();
      });
    });
    child.kill('SIGTERM');
    await exited;
    return named(stderr);
  }

  const heavy = (modules: string[]) =>
    modules.filter((m) =>
      /^src\/(app|server|engine|storage\/(?!export\/export-formats)|instruments|sim)\//.test(m),
    );

  it('start with the simulated lab loads nothing an idle lab does not use (h5wasm, codecs, lines, ISI recording)', async () => {
    const modules = await loadedByStart();
    assert.ok(modules.includes('src/app/benchtop.ts'), modules.join('\n'));
    const unwanted = modules.filter(
      (m) =>
        m.includes('/node_modules/h5wasm/') ||
        m.includes('/node_modules/lz4-napi/') ||
        m.startsWith('src/production/') ||
        m.startsWith('src/imaging/isi-session') ||
        m.startsWith('src/analysis/retinotopy/session-files/') ||
        m === 'src/analysis/retinotopy/retinotopy-analysis.ts' ||
        m === 'src/storage/hdf5/compressed-frame-store.ts',
    );
    assert.deepEqual(unwanted, []);
  });

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
