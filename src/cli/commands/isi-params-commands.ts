import { IsiParameterStore } from '../../imaging/isi-parameters.ts';
import type { Invocation } from '../command-spec.ts';

// `benchtop isi params …`: the imaging rig's parameter file (the guide's
// config/isi_parameters.json) and its labelled backups, offline.

interface FileOption {
  file: string;
}

export function isiParamsShow(inv: Invocation<FileOption & { group?: string }>): void {
  const parameters = new IsiParameterStore(inv.options.file).read() as Record<string, unknown>;
  const shown = inv.options.group ? parameters[inv.options.group] : parameters;
  if (shown === undefined) throw new Error(`no parameter group ${inv.options.group}`);
  inv.out.write(`${JSON.stringify(shown, null, 2)}\n`);
}

/** Exit 1 with one line per problem when the file is not valid. */
export function isiParamsValidate(inv: Invocation<FileOption>): number {
  const problems = new IsiParameterStore(inv.options.file).validate();
  if (problems.length === 0) {
    inv.out.write(`${inv.options.file}: valid\n`);
    return 0;
  }
  for (const p of problems) inv.err.write(`${inv.options.file}: ${p}\n`);
  return 1;
}

export function isiParamsBackup(inv: Invocation<FileOption & { label: string }>): void {
  inv.out.write(`${new IsiParameterStore(inv.options.file).backup(inv.options.label)}\n`);
}

export function isiParamsRestore(inv: Invocation<FileOption, { label: string }>): void {
  new IsiParameterStore(inv.options.file).restore(inv.args.label);
  inv.out.write(`${inv.options.file}: restored from backup ${inv.args.label}\n`);
}

export function isiParamsBackups(inv: Invocation<FileOption>): void {
  for (const label of new IsiParameterStore(inv.options.file).backups()) inv.out.write(`${label}\n`);
}

export function isiParamsReset(inv: Invocation<FileOption & { group?: string }>): void {
  new IsiParameterStore(inv.options.file).reset(inv.options.group);
  inv.out.write(`${inv.options.file}: ${inv.options.group ?? 'all groups'} reset to defaults\n`);
}
