import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { DatabaseSync, backup as sqliteBackup } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { BENCHTOP_VERSION } from '../../core/version.ts';
import { checkBackupArchive } from './backup-archive-check.ts';

export interface BackupOptions {
  outputDir: string;
  backupDir: string;
  configFile?: string;
  includeData: boolean;
  keepCount: number;
  keepDays: number;
}

export interface BackupInfo {
  file: string;
  name: string;
  bytes: number;
  created: string;
}

const PREFIX = 'benchtop-backup-';
const STAGING_PREFIX = '.benchtop-restore-';

/** Refuses a restored database that SQLite cannot open and check. */
function checkDatabase(archive: string, path: string, name: string): void {
  try {
    // Read-write on the staged copy: closing the last connection removes the -wal/-shm it made.
    const db = new DatabaseSync(path);
    try {
      const row = db.prepare('PRAGMA quick_check').get() as { quick_check?: string } | undefined;
      if (row?.quick_check !== 'ok') throw new Error(`integrity check says ${row?.quick_check ?? 'nothing'}`);
    } finally {
      db.close();
    }
  } catch (error) {
    throw new BenchtopError(
      'BACKUP_INVALID',
      `${archive} was not restored (nothing was written): data/${name} is not a usable SQLite database (${(error as Error).message})`,
      { archive, file: `data/${name}` },
      { cause: error },
    );
  }
}

/**
 * Replaces everything in `dir` (but `keep`) by the entries of `from`, by renames inside `dir`,
 * which also works when `dir` is a mount point. On failure the old entries are put back.
 */
async function swapContents(dir: string, from: string, keep: string): Promise<void> {
  const replaced = await mkdtemp(join(dir, '.benchtop-replaced-'));
  const movedOut: string[] = [];
  const movedIn: string[] = [];
  try {
    for (const entry of readdirSync(dir)) {
      if (join(dir, entry) === keep || join(dir, entry) === replaced) continue;
      renameSync(join(dir, entry), join(replaced, entry));
      movedOut.push(entry);
    }
    for (const entry of readdirSync(from)) {
      renameSync(join(from, entry), join(dir, entry));
      movedIn.push(entry);
    }
  } catch (error) {
    for (const entry of movedIn) rmSync(join(dir, entry), { recursive: true, force: true });
    for (const entry of movedOut) renameSync(join(replaced, entry), join(dir, entry));
    rmSync(replaced, { recursive: true, force: true });
    throw new BenchtopError(
      'STORAGE_ERROR',
      `restore failed while swapping ${dir}: ${(error as Error).message} (the previous contents are back)`,
      { outputDir: dir },
      { cause: error },
    );
  }
  await rm(replaced, { recursive: true, force: true });
}

/**
 * Backups as tar.gz archives: the configuration file, a consistent copy of every SQLite
 * database (SQLite's online backup, so it is safe while Benchtop runs), and the run files
 * unless excluded. Old archives are pruned by count and age after each backup.
 */
export class BackupManager {
  private readonly options: BackupOptions;

  constructor(options: BackupOptions) {
    this.options = options;
  }

  async create(label?: string): Promise<BackupInfo> {
    const { outputDir, backupDir, configFile, includeData } = this.options;
    mkdirSync(backupDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${PREFIX}${stamp}${label ? `-${label.replace(/[^A-Za-z0-9_-]/g, '_')}` : ''}.tar.gz`;
    const staging = await mkdtemp(join(tmpdir(), 'benchtop-backup-'));
    try {
      const files: string[] = [];
      if (configFile && existsSync(configFile)) {
        mkdirSync(join(staging, 'config'), { recursive: true });
        copyFileSync(configFile, join(staging, 'config', basename(configFile)));
        files.push('config');
      }
      mkdirSync(join(staging, 'data'), { recursive: true });
      for (const entry of existsSync(outputDir) ? await readdir(outputDir, { recursive: true }) : []) {
        const source = join(outputDir, entry);
        // lstat: a link in output_dir is not followed into the archive (nor is a restore in progress).
        if (entry.startsWith(STAGING_PREFIX) || !(await lstat(source)).isFile()) continue;
        if (/\.sqlite-(wal|shm)$/.test(entry)) continue;
        const target = join(staging, 'data', entry);
        mkdirSync(join(target, '..'), { recursive: true });
        if (entry.endsWith('.sqlite')) {
          const db = new DatabaseSync(source, { readOnly: true });
          try {
            await sqliteBackup(db, target);
          } finally {
            db.close();
          }
        } else if (includeData) copyFileSync(source, target);
      }
      files.push('data');
      await writeFile(
        join(staging, 'MANIFEST.json'),
        JSON.stringify(
          {
            benchtop: BENCHTOP_VERSION,
            created: new Date().toISOString(),
            output_dir: outputDir,
            config: configFile ?? null,
            include_data: includeData,
          },
          null,
          2,
        ),
      );
      files.push('MANIFEST.json');
      const file = join(backupDir, name);
      const tar = await import('tar');
      // 0600: the archive holds the JWT secret and password hashes.
      await tar.c({ gzip: true, file, cwd: staging, portable: true, mode: 0o600 }, files);
      chmodSync(file, 0o600);
      await this.prune();
      return this.info(file);
    } catch (error) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `backup failed: ${(error as Error).message}`,
        { backupDir },
        { cause: error },
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  list(): BackupInfo[] {
    const dir = this.options.backupDir;
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.startsWith(PREFIX) && f.endsWith('.tar.gz'))
      .map((f) => this.info(join(dir, f)))
      .sort((a, b) => b.created.localeCompare(a.created));
  }

  /**
   * Restores databases and data into output_dir (which must be empty unless `force`, and is then
   * replaced, not merged), and the configuration file to `configDestination` if given. Benchtop
   * must not be running. The whole archive is checked first (only regular files and directories,
   * only a backup's own entries), unpacked into a directory inside output_dir (so the swap is a
   * rename on one filesystem), and every database must open before anything already there moves.
   */
  async restore(
    archive: string,
    options: { force?: boolean; configDestination?: string } = {},
  ): Promise<{ files: number; config: string | null }> {
    const { outputDir } = this.options;
    if (!existsSync(archive)) throw new BenchtopError('NOT_FOUND', `no backup archive ${archive}`);
    if (existsSync(outputDir) && readdirSync(outputDir).length > 0 && !options.force) {
      throw new BenchtopError(
        'STORAGE_ERROR',
        `${outputDir} is not empty: stop Benchtop and pass --force to overwrite it`,
        { outputDir },
      );
    }
    const contents = await checkBackupArchive(archive);
    mkdirSync(outputDir, { recursive: true, mode: 0o700 });
    const staging = await mkdtemp(join(outputDir, STAGING_PREFIX));
    const configTemp = options.configDestination ? `${options.configDestination}.restoring` : null;
    try {
      const tar = await import('tar');
      await tar.x({
        file: archive,
        cwd: staging,
        strict: true,
        // Checked above already; kept so a file changed since cannot unpack a link.
        filter: (_path, entry) => 'type' in entry && (entry.type === 'Directory' || entry.type === 'File'),
      });
      const dataDir = join(staging, 'data');
      for (const file of contents.dataFiles) {
        if (file.endsWith('.sqlite')) checkDatabase(archive, join(dataDir, file), file);
        if (file.endsWith('.sqlite')) chmodSync(join(dataDir, file), 0o600);
      }
      let config: string | null = null;
      if (configTemp && options.configDestination && contents.configFile) {
        copyFileSync(join(staging, 'config', contents.configFile), configTemp);
        chmodSync(configTemp, 0o600);
        config = options.configDestination;
      }
      mkdirSync(dataDir, { recursive: true });
      await swapContents(outputDir, dataDir, staging);
      if (configTemp && config) renameSync(configTemp, config);
      return { files: contents.dataFiles.length, config };
    } finally {
      if (configTemp) rmSync(configTemp, { force: true });
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Keeps the newest `keepCount` archives and deletes any older than `keepDays`. */
  async prune(): Promise<string[]> {
    const { keepCount, keepDays } = this.options;
    const cutoff = Date.now() - keepDays * 86_400_000;
    const removed: string[] = [];
    this.list().forEach((b, i) => {
      if (i >= keepCount || (keepDays > 0 && Date.parse(b.created) < cutoff)) {
        rmSync(b.file, { force: true });
        removed.push(b.file);
      }
    });
    return removed;
  }

  private info(file: string): BackupInfo {
    const s = statSync(file);
    return {
      file,
      name: relative(this.options.backupDir, file),
      bytes: s.size,
      created: s.mtime.toISOString(),
    };
  }
}
