import { Option } from 'commander';
import type { OptionLine } from './command-spec.ts';

/** Options several commands share, so each says the same thing everywhere. */

const collect = (value: string, previous: string[] = []) => [...previous, value];

const CONFIG_FILE: OptionLine = [
  '-c, --config <file>',
  'TOML configuration file (default: $BENCHTOP_CONFIG, else the built-in simulated lab)',
];

const SET = new Option(
  '--set <key=value>',
  'override any setting, e.g. --set storage.output_dir=/data (repeatable)',
).argParser(collect);

const NO_SIMULATION: OptionLine = [
  '--no-simulation',
  'talk to real hardware even if [simulation] enabled = true',
];

/** The server a client command talks to. */
export const SERVER = [
  ['--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)'],
] as const satisfies readonly OptionLine[];

/** Commands that read run data: from the server, or from this machine's files with --local. */
export const SERVER_OR_LOCAL = [
  ...SERVER,
  ['--local', "read the local files (the configuration's storage.output_dir) instead of asking the server"],
  CONFIG_FILE,
  SET,
] as const;

/** A configuration file and overrides (db migrate|status: e.g. --set storage.postgres.url=…). */
export const CONFIG_FILE_AND_SET = [CONFIG_FILE, SET] as const;

/** The production line reports' own options. */
export const REPORT = [
  new Option('--line <id>', 'line id from [[lines]]').makeOptionMandatory(),
  new Option('--out <file>', 'where to write it (.pdf or .csv)').makeOptionMandatory(),
  new Option('--format <format>', 'pdf or csv (default: from --out)').choices(['pdf', 'csv']),
  CONFIG_FILE,
] as const;

/** A configuration file only (commands on this machine's files: keys, users, backup). */
export const CONFIG_ONLY = [CONFIG_FILE] as const;

/** Every command that builds Benchtop from a configuration (start, sim, config print). */
export const CONFIG = [
  CONFIG_FILE,
  ['--port <port>', 'override server.port'],
  ['--bind <address>', 'override server.bind_address'],
  new Option('--log-level <level>', 'override application.log_level').choices([
    'trace',
    'debug',
    'info',
    'warn',
    'error',
  ]),
  SET,
  NO_SIMULATION,
] as const;

/** `benchtop run`: the server's options, and those of a run in this process (--local). */
export const RUN = [
  ...SERVER,
  ['--local', 'run the plan in this process (builds Benchtop from the configuration, no server)'],
  CONFIG_FILE,
  SET,
  NO_SIMULATION,
] as const;

export { collect };
