import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ConfigError } from '../../config/issues.ts';
import { BenchtopError } from '../../core/errors.ts';
import { BackupManager } from '../../storage/backup/backup-manager.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, resolveConfigFile } from '../config-source.ts';

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

// `benchtop backup create|list|restore`

export async function backupCreate(
  inv: Invocation<ConfigFlags & { label?: string; data: boolean }, unknown>,
) {
  const o = inv.options;
  const info = await manager(o, inv.env, o.data === false ? false : undefined).create(o.label);
  inv.out.write(`${info.file} (${mib(info.bytes)})\n`);
}

export function backupList(inv: Invocation<ConfigFlags, unknown>) {
  for (const b of manager(inv.options, inv.env).list())
    inv.out.write(`${b.created}  ${mib(b.bytes).padStart(10)}  ${b.file}\n`);
}

export async function backupRestore(
  inv: Invocation<ConfigFlags & { force?: boolean; configDest?: string }, { archive: string }>,
) {
  const o = inv.options;
  const r = await manager(o, inv.env).restore(resolve(inv.args.archive), {
    ...(o.force ? { force: true } : {}),
    ...(o.configDest ? { configDestination: o.configDest } : {}),
  });
  inv.out.write(`restored ${r.files} file(s)${r.config ? `; configuration written to ${r.config}` : ''}\n`);
}

const backupsDir = (configFile: string) => join(dirname(configFile), 'config-backups');

// `benchtop config backup|backups|restore`: labelled copies of the configuration file.

export function configBackup(inv: Invocation<ConfigFlags & { label?: string }, unknown>) {
  const file = resolveConfigFile(inv.options.config, inv.env);
  inv.out.write(`${copyConfig(file, inv.options.label)}\n`);
}

export function configBackups(inv: Invocation<ConfigFlags, unknown>) {
  const dir = backupsDir(resolveConfigFile(inv.options.config, inv.env));
  for (const f of existsSync(dir) ? readdirSync(dir).sort().reverse() : [])
    inv.out.write(`${join(dir, f)}\n`);
}

export function configRestore(inv: Invocation<ConfigFlags, { copy: string }>) {
  const { copy } = inv.args;
  const file = resolveConfigFile(inv.options.config, inv.env);
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
    loadBenchtopConfig({ file: path, env: inv.env });
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
  inv.out.write(`restored ${path} to ${file} (previous kept as ${kept})\n`);
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
