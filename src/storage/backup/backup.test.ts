import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { create as createTar } from 'tar';
import { ManualClock } from '../../core/clock.ts';
import { nextCronTime } from '../../core/cron-schedule.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { BackupManager } from './backup-manager.ts';
import { BackupScheduler } from './backup-scheduler.ts';

function lab() {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-backup-test-'));
  const outputDir = join(root, 'data');
  mkdirSync(join(outputDir, 'run-1'), { recursive: true });
  const db = new DatabaseSync(join(outputDir, 'catalog.sqlite'));
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE runs (uid TEXT); INSERT INTO runs VALUES ('abc')");
  writeFileSync(join(outputDir, 'run-1', 'scan.h5'), Buffer.alloc(4096, 7));
  const configFile = join(root, 'benchtop.toml');
  writeFileSync(configFile, '[server]\nport = 9000\n');
  const make = (over: Partial<ConstructorParameters<typeof BackupManager>[0]> = {}) =>
    new BackupManager({
      outputDir,
      backupDir: join(root, 'backups'),
      configFile,
      includeData: true,
      keepCount: 3,
      keepDays: 0,
      ...over,
    });
  return { root, outputDir, db, configFile, make };
}

describe('backups', () => {
  it('archives config, a consistent copy of live databases, and run files; restores them', async () => {
    const { root, db, make } = lab();
    const info = await make().create('nightly');
    assert.match(info.name, /^benchtop-backup-.*-nightly\.tar\.gz$/);
    db.exec("INSERT INTO runs VALUES ('written after the backup')");
    const target = join(root, 'restored');
    const restored = await make({ outputDir: target }).restore(info.file, {
      configDestination: join(root, 'restored.toml'),
    });
    assert.equal(restored.files, 2);
    const copy = new DatabaseSync(join(target, 'catalog.sqlite'), { readOnly: true });
    assert.deepEqual(
      copy
        .prepare('SELECT uid FROM runs')
        .all()
        .map((r) => (r as { uid: string }).uid),
      ['abc'],
    );
    copy.close();
    assert.equal(readFileSync(join(target, 'run-1', 'scan.h5')).length, 4096);
    assert.equal(readFileSync(join(root, 'restored.toml'), 'utf8'), '[server]\nport = 9000\n');
  });

  it('--no-data keeps the databases but not the run files', async () => {
    const { root, make } = lab();
    const info = await make({ includeData: false }).create();
    const target = join(root, 'restored');
    await make({ outputDir: target }).restore(info.file);
    assert.ok(existsSync(join(target, 'catalog.sqlite')));
    assert.ok(!existsSync(join(target, 'run-1', 'scan.h5')));
  });

  it('refuses to restore over existing data without force, and rejects foreign archives', async () => {
    const { make, outputDir, root } = lab();
    const info = await make().create();
    await assert.rejects(
      make().restore(info.file),
      (e) => isBenchtopError(e, 'STORAGE_ERROR') && /not empty/.test(e.message),
    );
    assert.equal((await make().restore(info.file, { force: true })).files, 2);
    assert.ok(existsSync(join(outputDir, 'catalog.sqlite')));
    await assert.rejects(make().restore(join(root, 'nope.tar.gz')), (e) => isBenchtopError(e, 'NOT_FOUND'));
  });

  it('creates archives readable by their owner only (they hold the JWT secret and password hashes)', async () => {
    const { make } = lab();
    const info = await make().create();
    assert.equal(statSync(info.file).mode & 0o777, 0o600);
  });

  /** An archive made by hand from `entries` (a name to file content, or a symlink target). */
  async function handMade(root: string, entries: Record<string, string | { link: string }>): Promise<string> {
    const staging = mkdtempSync(join(root, 'hand-'));
    for (const [name, body] of Object.entries(entries)) {
      mkdirSync(join(staging, name, '..'), { recursive: true });
      if (typeof body === 'string') writeFileSync(join(staging, name), body);
      else symlinkSync(body.link, join(staging, name));
    }
    const file = join(
      root,
      `hand-${Object.keys(entries).length}-${Math.random().toString(36).slice(2)}.tar.gz`,
    );
    await createTar({ gzip: true, file, cwd: staging, portable: true }, Object.keys(entries));
    return file;
  }

  const untouched = (dir: string) => ({
    entries: readdirSync(dir).sort(),
    catalog: readFileSync(join(dir, 'catalog.sqlite')).length,
  });

  it('refuses an archive with a symlink before writing anything, with a clear message', async () => {
    const { root, outputDir, db, make } = lab();
    db.close(); // Benchtop is stopped for a restore
    const before = untouched(outputDir);
    const archive = await handMade(root, {
      'MANIFEST.json': '{"benchtop":"x"}',
      'data/a-first.h5': 'restored first in the old code',
      'data/evil': { link: '/etc/passwd' },
      'data/missing': { link: 'no/such/target' },
    });
    await assert.rejects(
      make().restore(archive, { force: true }),
      (e) =>
        isBenchtopError(e, 'BACKUP_INVALID') &&
        /nothing was written/.test(e.message) &&
        /data\/evil: SymbolicLink to \/etc\/passwd/.test(e.message),
    );
    assert.deepEqual(untouched(outputDir), before);
    const fresh = join(root, 'fresh');
    await assert.rejects(make({ outputDir: fresh }).restore(archive), (e) =>
      isBenchtopError(e, 'BACKUP_INVALID'),
    );
    assert.ok(!existsSync(join(fresh, 'a-first.h5')));
  });

  it('refuses entries outside a backup, and archives that are not tar.gz or have no manifest', async () => {
    const { root, outputDir, db, make } = lab();
    db.close(); // Benchtop is stopped for a restore
    const before = untouched(outputDir);
    const stray = await handMade(root, { 'MANIFEST.json': '{}', 'etc/cron.d/x': 'evil', 'data/ok': 'ok' });
    await assert.rejects(
      make().restore(stray, { force: true }),
      (e) =>
        isBenchtopError(e, 'BACKUP_INVALID') &&
        /etc\/cron\.d\/x: not part of a Benchtop backup/.test(e.message),
    );
    const noManifest = await handMade(root, { 'data/ok': 'ok' });
    await assert.rejects(
      make().restore(noManifest, { force: true }),
      (e) => isBenchtopError(e, 'BACKUP_INVALID') && /no MANIFEST\.json/.test(e.message),
    );
    const garbage = join(root, 'garbage.tar.gz');
    writeFileSync(garbage, 'this is not gzip');
    await assert.rejects(
      make().restore(garbage, { force: true }),
      (e) => isBenchtopError(e, 'BACKUP_INVALID') && /not a readable tar\.gz/.test(e.message),
    );
    assert.deepEqual(untouched(outputDir), before);
  });

  it('refuses a backup whose database does not open, leaving the data as it was', async () => {
    const { root, outputDir, db, make } = lab();
    db.close(); // Benchtop is stopped for a restore
    const before = untouched(outputDir);
    const archive = await handMade(root, {
      'MANIFEST.json': '{}',
      'data/catalog.sqlite': 'garbage, not a database',
      'data/security.sqlite': 'garbage too',
    });
    await assert.rejects(
      make().restore(archive, { force: true }),
      (e) =>
        isBenchtopError(e, 'BACKUP_INVALID') &&
        /data\/catalog\.sqlite is not a usable SQLite database/.test(e.message),
    );
    assert.deepEqual(untouched(outputDir), before);
  });

  it('with force, replaces output_dir by the backup (no leftovers, no staging directories)', async () => {
    const { make, outputDir, db } = lab();
    const info = await make().create();
    db.close();
    writeFileSync(join(outputDir, 'made-after-backup.txt'), 'x');
    await make().restore(info.file, { force: true });
    assert.deepEqual(readdirSync(outputDir).sort(), ['catalog.sqlite', 'run-1']);
    assert.equal(statSync(join(outputDir, 'catalog.sqlite')).mode & 0o777, 0o600);
  });

  it('keeps only keep_count archives', async () => {
    const { make } = lab();
    const m = make({ keepCount: 2 });
    for (let i = 0; i < 4; i++) await m.create(`n${i}`);
    assert.deepEqual(
      m.list().map((b) => b.name.replace(/^.*-(n\d)\.tar\.gz$/, '$1')),
      ['n3', 'n2'],
    );
  });
});

describe('backup schedule', () => {
  it('computes cron times', () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(new Date(nextCronTime('0 3 * * *', t)).getUTCHours(), 3);
    assert.throws(() => nextCronTime('every day at 3', t));
  });

  it('runs the backup at each scheduled time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    let runs = 0;
    const s = new BackupScheduler({
      expression: '*/10 * * * *',
      clock,
      log: silentLogger(),
      backup: async () => {
        runs++;
        return { file: `b${runs}`, name: `b${runs}`, bytes: 1, created: '' };
      },
    });
    s.start();
    await clock.advance(9 * 60_000);
    assert.equal(runs, 0);
    await clock.advance(60_000);
    assert.equal(runs, 1);
    await clock.advance(20 * 60_000);
    assert.equal(runs, 3);
    assert.equal(s.lastResult?.ok, true);
    s.stop();
  });
});
