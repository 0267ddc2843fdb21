import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { IsiParameterStore } from '../../imaging/isi-parameters.ts';
import { isiParametersPath } from '../../imaging/isi-parameters-path.ts';
import type { Invocation } from '../command-spec.ts';
import { resolveConfigFile } from '../config-source.ts';

// `benchtop isi params …`: the imaging rig's parameter file and its labelled backups, offline.
// The file is the server's (isiParametersPath of the configuration's storage.output_dir) unless
// --file names another.

interface FileOption {
  file?: string;
  config?: string;
}

/** --file, else the file the server on this configuration uses. */
function storeOf(inv: Invocation<FileOption, unknown>): IsiParameterStore {
  if (inv.options.file) return new IsiParameterStore(inv.options.file);
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(inv.options.config, inv.env),
    env: inv.env,
  });
  return new IsiParameterStore(isiParametersPath(config.storage.output_dir));
}

export function isiParamsShow(inv: Invocation<FileOption & { group?: string }>): void {
  const parameters = storeOf(inv).read() as Record<string, unknown>;
  const shown = inv.options.group ? parameters[inv.options.group] : parameters;
  if (shown === undefined) throw new Error(`no parameter group ${inv.options.group}`);
  inv.out.write(`${JSON.stringify(shown, null, 2)}\n`);
}

/** Exit 1 with one line per problem when the file is not valid. */
export function isiParamsValidate(inv: Invocation<FileOption>): number {
  const store = storeOf(inv);
  const problems = store.validate();
  if (problems.length === 0) {
    inv.out.write(`${store.path}: valid\n`);
    return 0;
  }
  for (const p of problems) inv.err.write(`${store.path}: ${p}\n`);
  return 1;
}

export function isiParamsBackup(inv: Invocation<FileOption & { label: string }>): void {
  inv.out.write(`${storeOf(inv).backup(inv.options.label)}\n`);
}

export function isiParamsRestore(inv: Invocation<FileOption, { label: string }>): void {
  const store = storeOf(inv);
  store.restore(inv.args.label);
  inv.out.write(`${store.path}: restored from backup ${inv.args.label}\n`);
}

export function isiParamsBackups(inv: Invocation<FileOption>): void {
  for (const label of storeOf(inv).backups()) inv.out.write(`${label}\n`);
}

export function isiParamsReset(inv: Invocation<FileOption & { group?: string }>): void {
  const store = storeOf(inv);
  store.reset(inv.options.group);
  inv.out.write(`${store.path}: ${inv.options.group ?? 'all groups'} reset to defaults\n`);
}
