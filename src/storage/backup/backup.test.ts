import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
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
