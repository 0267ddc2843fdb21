import { type Command, Option } from 'commander';

/**
 * How main.ts declares a command without loading it. The definition (name, arguments, options,
 * help) is a few lines of data; the module that does the work is imported only when the command
 * runs, so `benchtop --version` or `benchtop get …` never load the server, the run engine or
 * the storage formats.
 */

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** What an action receives: its arguments by name, its options (with the program's), env and streams. */
export interface Invocation<O = Record<string, unknown>, A = Record<string, string | string[] | undefined>>
  extends CommandIo {
  args: A;
  options: O;
}

/** A command's work; a number it returns becomes the exit code. */
export type CommandAction = (invocation: Invocation) => unknown;

// `never` options accept an action declared with any narrower Invocation<{ … }>.
type ModuleAction = (invocation: Invocation<never, never>) => unknown;

/** `[flags, description]` or `[flags, description, default]`, as commander's `.option()` takes them. */
export type OptionLine = readonly [flags: string, description: string, defaultValue?: string];

export interface CommandSpec {
  /**
   * Name and arguments as commander spells them: `restart <instrument>`, `call <action> [args...]`
   * (or the name alone, with described arguments added in `configure`).
   */
  name: string;
  description: string;
  /** Option lines, commander Options, or shared groups of them (see option-groups.ts). */
  options?: readonly (OptionLine | Option | readonly (OptionLine | Option)[])[];
  /** The work, imported when the command runs: `lazy(() => import('./commands/x.ts'), 'xAction')`. */
  action?: () => Promise<CommandAction>;
  /** Subcommands (`users add`, `users list`, …). */
  commands?: readonly CommandSpec[];
  /** Text after the options in `--help`, from a module loaded only when help is shown. */
  helpAfter?: () => Promise<string>;
  /** Anything else commander offers: described arguments, unknown options passed through. */
  configure?: (command: Command) => void;
}

/** The action `name` of a module, imported only when it is called. */
export function lazy<K extends string, M extends Record<K, ModuleAction>>(
  load: () => Promise<M>,
  name: K,
): () => Promise<CommandAction> {
  return async () => (await load())[name] as unknown as CommandAction;
}

// An option line starts with its flags; a group starts with an option line or an Option.
const isGroup = (
  o: OptionLine | Option | readonly (OptionLine | Option)[],
): o is readonly (OptionLine | Option)[] => Array.isArray(o) && typeof o[0] !== 'string';

const helpLoaders = new WeakMap<Command, () => Promise<string>>();

/** Adds `spec` (and its subcommands) under `parent`. */
export function addCommand(parent: Command, spec: CommandSpec, io: CommandIo): Command {
  const command = parent.command(spec.name).description(spec.description);
  applySpec(command, spec, io);
  return command;
}

/** Options, help and the lazy action of `spec`, on a command that already exists (the program itself). */
export function applySpec(command: Command, spec: Omit<CommandSpec, 'name' | 'description'>, io: CommandIo) {
  for (const entry of spec.options ?? []) {
    for (const option of isGroup(entry) ? entry : [entry as OptionLine | Option]) {
      if (option instanceof Option) command.addOption(option);
      else command.option(option[0], option[1], option[2]);
    }
  }
  spec.configure?.(command);
  if (spec.helpAfter) helpLoaders.set(command, spec.helpAfter);
  for (const sub of spec.commands ?? []) addCommand(command, sub, io);
  const load = spec.action;
  if (load) {
    command.action(async (...params: unknown[]) => {
      const names = command.registeredArguments.map((a) => a.name());
      const args = Object.fromEntries(names.map((name, i) => [name, params[i]])) as Invocation['args'];
      const action = await load();
      const code = await action({ args, options: command.optsWithGlobals(), ...io });
      if (typeof code === 'number') process.exitCode = code;
    });
  }
}

/** Loads the help texts that come from modules, under `command`; called only when help is shown. */
export async function loadHelpTexts(command: Command): Promise<void> {
  const load = helpLoaders.get(command);
  if (load) {
    helpLoaders.delete(command);
    command.addHelpText('after', await load());
  }
  for (const sub of command.commands) await loadHelpTexts(sub);
}

/** Whether these arguments ask for help (so help texts from modules must be loaded first). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.some((a) => a === '--help' || a === '-h') || args[0] === 'help';
}
