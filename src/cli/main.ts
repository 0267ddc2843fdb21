import { Command, Option } from 'commander';
import { ConfigError } from '../config/issues.ts';
import { BenchtopError } from '../core/errors.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { CLI_EXPORT_FORMATS } from '../storage/export/export-formats.ts';
import { addCommand, applySpec, type CommandSpec, lazy, loadHelpTexts, wantsHelp } from './command-spec.ts';
import {
  CONFIG,
  CONFIG_FILE_AND_SET,
  CONFIG_ONLY,
  collect,
  REPORT,
  RUN,
  SERVER,
  SERVER_OR_LOCAL,
} from './option-groups.ts';

// Every command is declared here as data and its module imported only when it runs (see
// command-spec.ts): keep this file's imports to commander and small modules, or every
// `benchtop get` pays for them. To add a command, add one entry to COMMANDS (or to a group's
// `commands`), with its action in its own file under commands/.

/** The rig's parameter file: the server's (src/imaging/isi-parameters-path.ts) unless --file names one. */
const ISI_PARAMS_FILE = [
  [
    '--file <path>',
    "parameter file (default: the server's, {storage.output_dir}/isi/isi_parameters.json of the configuration)",
  ],
  CONFIG_ONLY[0],
] as const;

const RULE = `
Client commands (run, runs, export, get, set, call, watch, restart, plc) talk to the Benchtop
server at --url, else $BENCHTOP_URL, else http://127.0.0.1:8080. runs and export read this
machine's files (the configuration's storage.output_dir) only with --local, or when no server
answers at $BENCHTOP_URL or the default address, and then say so on stderr; a server named
with --url must answer. run drives instruments in this process only with --local. start, sim,
config, keys, users and backup work on this machine's configuration and files.`;

export const COMMANDS: CommandSpec[] = [
  {
    name: 'start',
    description: 'start the server (the default command)',
    options: [CONFIG],
    action: lazy(() => import('./commands/start.ts'), 'startAction'),
  },
  {
    name: 'agent',
    description:
      "several machines: run this host's instruments and serve them to the site's hubs over NATS ([agent] id, [bus] url)",
    options: [CONFIG],
    action: lazy(() => import('./commands/site-commands.ts'), 'agentAction'),
    commands: [
      {
        name: 'lease',
        description:
          'an operator at this host takes control of one of its instruments: hubs may read it but not drive it meanwhile',
        commands: [
          {
            name: 'take',
            description:
              'take the control lease (held until Ctrl-C, or for --ttl); refused, naming the holder, if a hub or another operator has it',
            options: [
              CONFIG_ONLY,
              new Option(
                '--instrument <id>',
                "one of this agent's instruments, e.g. stage",
              ).makeOptionMandatory(),
              ['--ttl <duration>', 'hold it this long (e.g. 30m, 2h) and return, instead of until Ctrl-C'],
              ['--note <text>', 'why, shown to the hubs (e.g. "aligning the optics")'],
              ['--operator <name>', 'who holds it (default: $USER)'],
            ],
            action: lazy(() => import('./commands/lease-commands.ts'), 'leaseTake'),
          },
          {
            name: 'release',
            description:
              "release an operator's lease on one of this agent's instruments (one taken with --ttl, or left by a killed command)",
            options: [
              CONFIG_ONLY,
              new Option('--instrument <id>', "one of this agent's instruments").makeOptionMandatory(),
            ],
            action: lazy(() => import('./commands/lease-commands.ts'), 'leaseRelease'),
          },
          {
            name: 'list',
            description:
              'every control lease on the site: instrument, holder (a hub or an operator), when it lapses',
            options: [CONFIG_ONLY, ['--json', 'print the lease records as JSON']],
            action: lazy(() => import('./commands/lease-commands.ts'), 'leaseList'),
          },
        ],
      },
    ],
  },
  {
    name: 'hub',
    description:
      "several machines: the server (API, dashboard, plans, alarms, storage) with every agent's instruments ([bus] url)",
    options: [CONFIG],
    action: lazy(() => import('./commands/site-commands.ts'), 'hubAction'),
  },
  {
    name: 'validate-config <file>',
    description: 'validate a configuration file: prints every problem with its line, exits 2 if invalid',
    action: lazy(() => import('./commands/validate-config.ts'), 'validateConfigAction'),
  },
  {
    name: 'config',
    description: 'inspect the configuration',
    commands: [
      {
        name: 'print',
        description: 'print the effective configuration with the source of each setting',
        options: [CONFIG, ['--json', 'print JSON']],
        action: lazy(() => import('./commands/config-print.ts'), 'configPrintAction'),
      },
      {
        name: 'validate <file>',
        description: 'validate a configuration file (same as validate-config)',
        action: lazy(() => import('./commands/validate-config.ts'), 'validateConfigAction'),
      },
      {
        name: 'backup',
        description: 'keep a labelled copy of the configuration file beside it (config-backups/)',
        options: [CONFIG_ONLY, ['--label <label>', 'e.g. before-new-stage']],
        action: lazy(() => import('./commands/backup-commands.ts'), 'configBackup'),
      },
      {
        name: 'backups',
        description: 'list labelled copies',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/backup-commands.ts'), 'configBackups'),
      },
      {
        name: 'restore <copy>',
        description:
          'validate a copy (path or label) and restore it; the current file is kept as a copy first',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/backup-commands.ts'), 'configRestore'),
      },
    ],
  },
  {
    name: 'sim',
    description:
      "run the instrument simulators standalone on the addresses in the config: a TCP instrument's own host:port ([simulation] ports overrides; 0 or --random-ports: any free port)",
    options: [
      CONFIG,
      ['--random-ports', "listen on any free port instead of the instruments' own addresses"],
    ],
    action: lazy(() => import('./commands/sim.ts'), 'simAction'),
  },
  {
    name: 'keys',
    description: 'API keys (stored hashed; the secret is shown once)',
    commands: [
      {
        name: 'create',
        description: 'create a key, e.g. benchtop keys create --role operator --name beamline-script',
        options: [
          CONFIG_ONLY,
          new Option('--role <role>', 'viewer | operator | admin').makeOptionMandatory(),
          ['--name <name>', 'what the key is for', 'cli'],
        ],
        action: lazy(() => import('./commands/security-commands.ts'), 'keysCreate'),
      },
      {
        name: 'list',
        description: 'list keys (never their secrets)',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/security-commands.ts'), 'keysList'),
      },
      {
        name: 'revoke <id>',
        description: 'revoke a key',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/security-commands.ts'), 'keysRevoke'),
      },
    ],
  },
  {
    name: 'users',
    description: 'users who log in to the dashboard (passwords hashed with scrypt)',
    commands: [
      {
        name: 'add <name>',
        description: 'add a user; the password is read from standard input',
        options: [
          CONFIG_ONLY,
          new Option('--role <role>', 'viewer | operator | admin').makeOptionMandatory(),
        ],
        action: lazy(() => import('./commands/security-commands.ts'), 'usersAdd'),
      },
      {
        name: 'passwd <name>',
        description:
          "set a user's password, read from standard input; ends their sessions (a running server notices within seconds)",
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/security-commands.ts'), 'usersPasswd'),
      },
      {
        name: 'list',
        description: 'list users',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/security-commands.ts'), 'usersList'),
      },
      {
        name: 'remove <name>',
        description: 'remove a user',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/security-commands.ts'), 'usersRemove'),
      },
    ],
  },
  {
    name: 'run',
    description: 'run a plan, with a progress bar: on the server, or in this process with --local',
    options: [
      RUN,
      new Option(
        '--metadata <key=value>',
        'recorded in the start document, e.g. --metadata sample=Si-42 (repeatable)',
      ).argParser(collect),
      ['--json', 'print the finished run as JSON'],
      new Option('--log-level <level>', 'log level with --local').choices(['debug', 'info', 'warn', 'error']),
    ],
    configure: (run) =>
      run
        .argument('<plan>', 'count, scan, grid_scan, list_scan, time_series or camera_acquire')
        .argument('[args...]', 'plan arguments: --name value')
        .allowUnknownOption()
        .allowExcessArguments(),
    helpAfter: () => import('./commands/run-commands.ts').then((m) => m.runHelp()),
    action: lazy(() => import('./commands/run-commands.ts'), 'runAction'),
  },
  {
    name: 'runs',
    description: 'the run catalog: list and show runs (from the server, or local files with --local)',
    commands: [
      {
        name: 'list',
        description: 'list runs, newest first',
        options: [
          SERVER_OR_LOCAL,
          ['--plan <name>', 'only this plan'],
          ['--status <status>', 'success, abort, fail, interrupted or running (comma-separated)'],
          ['--since <when>', 'started since a date (2026-01-31T08:00Z) or an age (2h, 7d)'],
          ['--limit <n>', 'at most n runs (default 100)'],
          ['--json', 'print JSON'],
        ],
        action: lazy(() => import('./commands/runs.ts'), 'runsListAction'),
      },
      {
        name: 'show <uid>',
        description: "a run's status, events, metadata and files",
        options: [SERVER_OR_LOCAL, ['--json', 'print JSON']],
        action: lazy(() => import('./commands/runs.ts'), 'runsShowAction'),
      },
    ],
  },
  {
    name: 'export',
    description:
      'export a run (downloaded from the server, key: $BENCHTOP_API_KEY; or from local files with --local): one file per stream in --out, with a progress bar',
    options: [
      SERVER_OR_LOCAL,
      new Option('--format <format>', 'output format').choices(CLI_EXPORT_FORMATS).makeOptionMandatory(),
      new Option(
        '--out <dir>',
        'directory for the exported files (created if missing)',
      ).makeOptionMandatory(),
    ],
    configure: (exporter) => exporter.argument('<uid>', 'run uid (benchtop runs list)'),
    action: lazy(() => import('./commands/export.ts'), 'exportAction'),
  },
  {
    name: 'isi',
    description: "intrinsic-signal imaging: the guide's commands, parameters, retinotopy analysis",
    commands: [
      {
        name: 'analyze <session>',
        description:
          "maps and visual areas from a session file Benchtop recorded, or a directory in the imaging guide's layout ({LR,RL,TB,BT}_camera.h5, {dir}_stimulus.h5, metadata.json)",
        options: [
          [
            '--out <file>',
            'results file (default: analysis_results.h5 in the session directory, or beside the session file)',
          ],
          new Option(
            '--set <analysis.key=value>',
            'analysis parameter, e.g. --set analysis.sign_map_threshold=0.3 (repeatable)',
          ).argParser(collect),
        ],
        action: lazy(() => import('./commands/isi-commands.ts'), 'isiAnalyze'),
      },
      {
        name: 'segment',
        description: 'visual areas alone from a file holding azimuth_map and elevation_map (degrees)',
        options: [
          new Option('--maps <file>', 'HDF5 file with azimuth_map and elevation_map').makeOptionMandatory(),
          ['--out <file>', 'results file (default: analysis_results.h5 beside the maps)'],
          new Option('--set <analysis.key=value>', 'analysis parameter (repeatable)').argParser(collect),
        ],
        action: lazy(() => import('./commands/isi-commands.ts'), 'isiSegment'),
      },
      {
        name: 'command <name>',
        description:
          "one of the imaging guide's commands on the server (ping, get_system_status, capture_anatomical, list_sessions, …)",
        options: [
          SERVER,
          new Option('--param <key=value>', 'a parameter (JSON values parsed; repeatable)').argParser(
            collect,
          ),
        ],
        action: lazy(() => import('./commands/isi-guide-commands.ts'), 'isiCommand'),
      },
      {
        name: 'capture-anatomical',
        description:
          'the anatomical snapshot (mean of a few camera frames, the illumination switched on if configured), stored with the session being recorded or the next one',
        options: [
          SERVER,
          ['--camera <id>', 'camera instrument (default: camera.instrument, else the first)'],
          ['--frames <n>', 'frames averaged (default: camera.anatomical_frames)'],
        ],
        action: lazy(() => import('./commands/isi-guide-commands.ts'), 'isiCaptureAnatomical'),
      },
      {
        name: 'params',
        description: "the imaging rig's parameters (the guide's groups) and their labelled backups",
        commands: [
          {
            name: 'show',
            description: 'print the parameters (defaults filled in), or one group',
            options: [
              ISI_PARAMS_FILE,
              [
                '--group <name>',
                'one group (acquisition, analysis, camera, monitor, session, stimulus, system)',
              ],
            ],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsShow'),
          },
          {
            name: 'validate',
            description: 'check the parameter file (exit 1 with every problem)',
            options: [ISI_PARAMS_FILE],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsValidate'),
          },
          {
            name: 'backup',
            description: 'copy the parameter file to backups/ under a label',
            options: [
              ISI_PARAMS_FILE,
              new Option('--label <label>', 'e.g. pre_deployment').makeOptionMandatory(),
            ],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsBackup'),
          },
          {
            name: 'backups',
            description: 'list the backup labels',
            options: [ISI_PARAMS_FILE],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsBackups'),
          },
          {
            name: 'restore <label>',
            description: 'make a backup the parameters (it is checked first)',
            options: [ISI_PARAMS_FILE],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsRestore'),
          },
          {
            name: 'reset',
            description: 'the parameters (or one group) back to the defaults',
            options: [
              ISI_PARAMS_FILE,
              [
                '--group <name>',
                'one group (acquisition, analysis, camera, monitor, session, stimulus, system)',
              ],
            ],
            action: lazy(() => import('./commands/isi-params-commands.ts'), 'isiParamsReset'),
          },
        ],
      },
    ],
  },
  {
    name: 'recipe',
    description: 'process recipes: validate, list and run',
    commands: [
      {
        name: 'validate <file>',
        description: "check a recipe file (TOML or JSON) against the configuration's [process] map",
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/recipe-commands.ts'), 'recipeValidate'),
      },
      {
        name: 'list',
        description: 'stored recipes, each at its latest version',
        options: [SERVER, ['--json', 'print JSON']],
        action: lazy(() => import('./commands/recipe-commands.ts'), 'recipeList'),
      },
      {
        name: 'run <recipe>',
        description: 'run a stored recipe by name, or a recipe file (saved as a new version first)',
        options: [
          SERVER,
          ['--version <n>', 'a stored version (default: the latest)'],
          ['--time-scale <x>', 'purges and holds take this fraction of their time (0 < x <= 1)'],
          ['--json', 'print the finished run as JSON'],
        ],
        action: lazy(() => import('./commands/recipe-commands.ts'), 'recipeRun'),
      },
    ],
  },
  {
    name: 'doctor',
    description: 'check the configuration, directories, databases and every instrument; say what to fix',
    options: [CONFIG_ONLY, ['--timeout <s>', 'how long each instrument has to become ready', '10']],
    action: lazy(() => import('./commands/doctor-command.ts'), 'doctorAction'),
  },
  {
    name: 'db',
    description:
      'the production database (parts, defects, line events; with PostgreSQL the alarm history too): schema migrations',
    commands: [
      {
        name: 'migrate',
        description: 'create or upgrade the schema to the latest version',
        options: [CONFIG_FILE_AND_SET],
        action: lazy(() => import('./commands/db-commands.ts'), 'dbMigrate'),
      },
      {
        name: 'status',
        description: 'show the schema version and applied migrations without changing anything',
        options: [CONFIG_FILE_AND_SET],
        action: lazy(() => import('./commands/db-commands.ts'), 'dbStatus'),
      },
    ],
  },
  {
    name: 'report',
    description: 'production line reports (KPIs, Pareto, cycle time) as PDF or CSV',
    commands: [
      {
        name: 'shift',
        description: 'one shift of one day, e.g. --date 2026-12-01 --shift A',
        options: [
          REPORT,
          new Option(
            '--date <YYYY-MM-DD>',
            'the factory-local day the shift starts on',
          ).makeOptionMandatory(),
          new Option('--shift <name>', 'shift name from the line config').makeOptionMandatory(),
        ],
        action: lazy(() => import('./commands/report-commands.ts'), 'reportShift'),
      },
      {
        name: 'batch',
        description: 'one batch (a factory-local day), e.g. --batch B20261201',
        options: [REPORT, new Option('--batch <BYYYYMMDD>', 'batch id').makeOptionMandatory()],
        action: lazy(() => import('./commands/report-commands.ts'), 'reportBatch'),
      },
    ],
  },
  {
    name: 'restart',
    description:
      'restart an instrument: reconnect it with its restart count cleared (the way out of faulted)',
    options: [SERVER],
    configure: (restart) => restart.argument('<instrument>', 'instrument id, e.g. meter'),
    action: lazy(() => import('./commands/restart-command.ts'), 'restartAction'),
  },
  {
    name: 'plc',
    description: 'programmable controllers on the server',
    commands: [
      {
        name: 'tags <instrument>',
        description:
          "list a LogixPlc's controller tags (name, CIP type, array dimensions) to pick names for its tags table",
        options: [SERVER, ['--json', 'print JSON']],
        action: lazy(() => import('./commands/plc-tags-command.ts'), 'plcTagsAction'),
      },
    ],
  },
  {
    name: 'cameras',
    description: 'cameras this machine can see',
    commands: [
      {
        name: 'list',
        description:
          'GenICam cameras (GigE Vision, USB3 Vision) through libaravis and PVCAM cameras through libpvcam, with the id a config takes (device_id / camera_name)',
        options: [
          ['--json', 'print JSON'],
          ['--pvcam-library <path>', 'libpvcam to ask for PVCAM cameras', 'libpvcam.so.2'],
        ],
        action: lazy(() => import('./commands/cameras-command.ts'), 'camerasListAction'),
      },
    ],
  },
  {
    name: 'backup',
    description: 'back up and restore configuration, databases and run data (tar.gz)',
    commands: [
      {
        name: 'create',
        description: 'write a backup archive to [backup] dir, then prune old ones',
        options: [
          CONFIG_ONLY,
          ['--label <label>', 'added to the archive name'],
          ['--no-data', 'databases and configuration only, no run files'],
        ],
        action: lazy(() => import('./commands/backup-commands.ts'), 'backupCreate'),
      },
      {
        name: 'list',
        description: 'list backup archives, newest first',
        options: [CONFIG_ONLY],
        action: lazy(() => import('./commands/backup-commands.ts'), 'backupList'),
      },
      {
        name: 'restore <archive>',
        description: 'restore an archive into storage.output_dir (stop Benchtop first)',
        options: [
          CONFIG_ONLY,
          ['--force', 'overwrite a non-empty output_dir'],
          ['--config-dest <file>', 'also write the backed-up configuration file here'],
        ],
        action: lazy(() => import('./commands/backup-commands.ts'), 'backupRestore'),
      },
    ],
  },
  {
    name: 'get <signal>',
    description: 'read a signal, e.g. benchtop get laser.wavelength',
    options: [SERVER],
    action: lazy(() => import('./commands/signal-commands.ts'), 'getAction'),
  },
  {
    name: 'set <signal> <value>',
    description: 'write a signal and wait until done, e.g. benchtop set stage.axis1.position 5',
    options: [SERVER, ['--no-wait', 'return as soon as the command is sent']],
    action: lazy(() => import('./commands/signal-commands.ts'), 'setAction'),
  },
  {
    name: 'call <action> [args...]',
    description:
      'run an action, e.g. benchtop call stage.axis1.home, benchtop call stage.axis1.move_relative delta=0.5',
    options: [SERVER],
    action: lazy(() => import('./commands/signal-commands.ts'), 'callAction'),
  },
  {
    name: 'watch <signals...>',
    description: 'print live updates, e.g. benchtop watch meter.power laser.power',
    options: [
      SERVER,
      ['--rate <hz>', 'maximum updates per second per signal', '5'],
      ['--count <n>', 'stop after n updates'],
    ],
    action: lazy(() => import('./commands/signal-watch.ts'), 'watchAction'),
  },
];

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const io = { env, out: process.stdout, err: process.stderr };
  const program = new Command('benchtop')
    .description('Benchtop: data acquisition and control for laboratory and factory instruments')
    .version(BENCHTOP_VERSION, '-V, --version')
    .option('--validate-config <file>', 'validate a configuration file and exit (0 valid, 2 invalid)')
    .enablePositionalOptions()
    // `benchtop help [command]`, which commander leaves out when the program has an action (start).
    .helpCommand(true)
    .showHelpAfterError()
    .addHelpText('afterAll', RULE);
  // `benchtop` alone starts the server, like `benchtop start`.
  applySpec(
    program,
    { options: [CONFIG], action: lazy(() => import('./commands/start.ts'), 'startAction') },
    io,
  );
  for (const spec of COMMANDS) addCommand(program, spec, io);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    const program = buildProgram();
    if (wantsHelp(argv.slice(2))) await loadHelpTexts(program);
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof BenchtopError) {
      process.stderr.write(`benchtop: ${error.message}\n`);
      process.exit(error.code === 'INSECURE_BIND' ? 2 : 1);
    }
    throw error;
  }
}

if (import.meta.main) await main();
