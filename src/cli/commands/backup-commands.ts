import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ConfigError } from '../../config/issues.ts';
import { BenchtopError } from '../../core/errors.ts';
import { BackupManager } from '../../storage/backup/backup-manager.ts';
import { type ConfigFlags, resolveConfigFile } from '../config-source.ts';
import { validateConfigCommand } from './validate-config.ts';

function manager(flags: ConfigFlags, env: NodeJS.ProcessEnv, includeData?: boolean): BackupManager {
  const file = resolveConfigFile(flags.config, env);
  const { config } = loadBenchtopConfig({ file, env });
  return new BackupManager({
    outputDir: config.storage.output_dir,
    backupDir: config.backup.dir,
    configFile: file,
    includeData: includeData ?? config.backup.include_data,
    keepCount: config.backup.keep_count,
    keepDays: config.backup.keep_days,
  });
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** `benchtop backup create|list|restore` */
export function backupCommand(env: NodeJS.ProcessEnv): Command {
  const backup = new Command('backup').description(
    'back up and restore configuration, databases and run data (tar.gz)',
  );
  backup
    .command('create')
    .description('write a backup archive to [backup] dir, then prune old ones')
    .option('-c, --config <file>', 'configuration file')
    .option('--label <label>', 'added to the archive name')
    .option('--no-data', 'databases and configuration only, no run files')
    .action(async (o: ConfigFlags & { label?: string; data: boolean }) => {
      const info = await manager(o, env, o.data === false ? false : undefined).create(o.label);
      process.stdout.write(`${info.file} (${mib(info.bytes)})\n`);
    });
  backup
    .command('list')
    .description('list backup archives, newest first')
    .option('-c, --config <file>', 'configuration file')
    .action((o: ConfigFlags) => {
      for (const b of manager(o, env).list())
        process.stdout.write(`${b.created}  ${mib(b.bytes).padStart(10)}  ${b.file}\n`);
    });
  backup
    .command('restore <archive>')
    .description('restore an archive into storage.output_dir (stop Benchtop first)')
    .option('-c, --config <file>', 'configuration file')
    .option('--force', 'overwrite a non-empty output_dir')
    .option('--config-dest <file>', 'also write the backed-up configuration file here')
    .action(async (archive: string, o: ConfigFlags & { force?: boolean; configDest?: string }) => {
      const r = await manager(o, env).restore(resolve(archive), {
        ...(o.force ? { force: true } : {}),
        ...(o.configDest ? { configDestination: o.configDest } : {}),
      });
      process.stdout.write(
        `restored ${r.files} file(s)${r.config ? `; configuration written to ${r.config}` : ''}\n`,
      );
    });
  return backup;
}

const backupsDir = (configFile: string) => join(dirname(configFile), 'config-backups');

/** `benchtop config backup|restore|validate|backups`: labelled copies of the configuration file. */
export function configFileCommands(config: Command, env: NodeJS.ProcessEnv): void {
  config
    .command('validate <file>')
    .description('validate a configuration file (same as validate-config)')
    .action((file: string) => {
      process.exitCode = validateConfigCommand(file, env, process.stdout, process.stderr);
    });
  config
    .command('backup')
    .description('keep a labelled copy of the configuration file beside it (config-backups/)')
    .option('-c, --config <file>', 'configuration file')
    .option('--label <label>', 'e.g. before-new-stage')
    .action((o: ConfigFlags & { label?: string }) => {
      const file = resolveConfigFile(o.config, env);
      process.stdout.write(`${copyConfig(file, o.label)}\n`);
    });
  config
    .command('backups')
    .description('list labelled copies')
    .option('-c, --config <file>', 'configuration file')
    .action((o: ConfigFlags) => {
      const dir = backupsDir(resolveConfigFile(o.config, env));
      for (const f of existsSync(dir) ? readdirSync(dir).sort().reverse() : [])
        process.stdout.write(`${join(dir, f)}\n`);
    });
  config
    .command('restore <copy>')
    .description('validate a copy (path or label) and restore it; the current file is kept as a copy first')
    .option('-c, --config <file>', 'configuration file')
    .action((copy: string, o: ConfigFlags) => {
      const file = resolveConfigFile(o.config, env);
      const dir = backupsDir(file);
      const source = existsSync(copy)
        ? copy
        : readdirSync(existsSync(dir) ? dir : '.')
            .filter((f) => f.includes(copy))
            .sort()
            .reverse()[0];
      const path = source && existsSync(copy) ? copy : source ? join(dir, source) : null;
      if (!path) throw new BenchtopError('NOT_FOUND', `no configuration copy matching "${copy}" in ${dir}`);
      try {
        loadBenchtopConfig({ file: path, env });
      } catch (error) {
        if (error instanceof ConfigError)
          throw new BenchtopError(
            'CONFIG_INVALID',
            `refusing to restore an invalid configuration:\n${error.message}`,
          );
        throw error;
      }
      const kept = copyConfig(file, 'before-restore');
      copyFileSync(path, file);
      process.stdout.write(`restored ${path} to ${file} (previous kept as ${kept})\n`);
    });
}

function copyConfig(file: string, label?: string): string {
  if (!existsSync(file)) throw new BenchtopError('NOT_FOUND', `no configuration file ${file}`);
  const dir = backupsDir(file);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = join(
    dir,
    `${basename(file, '.toml')}.${stamp}${label ? `.${label.replace(/[^A-Za-z0-9_-]/g, '_')}` : ''}.toml`,
  );
  copyFileSync(file, target);
  return target;
}
