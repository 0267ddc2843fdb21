import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { DatabaseSync, backup as sqliteBackup } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { BENCHTOP_VERSION } from '../../core/version.ts';

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
    mkdirSync(backupDir, { recursive: true });
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
        if (!(await stat(source)).isFile()) continue;
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
      await tar.c({ gzip: true, file, cwd: staging, portable: true }, files);
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
   * Restores databases and data into output_dir (which must be empty unless `force`), and the
   * configuration file to `configDestination` if given. Benchtop must not be running.
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
    const staging = await mkdtemp(join(tmpdir(), 'benchtop-restore-'));
    try {
      const tar = await import('tar');
      await tar.x({ file: archive, cwd: staging });
      if (!existsSync(join(staging, 'MANIFEST.json')))
        throw new BenchtopError('STORAGE_ERROR', `${archive} is not a Benchtop backup (no MANIFEST.json)`);
      let files = 0;
      const dataDir = join(staging, 'data');
      for (const entry of existsSync(dataDir) ? await readdir(dataDir, { recursive: true }) : []) {
        const source = join(dataDir, entry);
        if (!(await stat(source)).isFile()) continue;
        const target = join(outputDir, entry);
        mkdirSync(join(target, '..'), { recursive: true });
        for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
        copyFileSync(source, target);
        files++;
      }
      let config: string | null = null;
      const configDir = join(staging, 'config');
      if (options.configDestination && existsSync(configDir)) {
        const [first] = readdirSync(configDir);
        if (first) {
          copyFileSync(join(configDir, first), options.configDestination);
          config = options.configDestination;
        }
      }
      return { files, config };
    } finally {
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
