import { Command, Option } from 'commander';
import { builtinPlans } from '../../engine/plan-registry.ts';
import { CLI_EXPORT_FORMATS } from '../../storage/export/export-formats.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { ConfigFlags } from '../config-source.ts';
import { runLocal, runRemote } from './run.ts';
import { parseMetadata, parsePlanArgs } from './run-args.ts';
import {
  listLocalRuns,
  listRemoteRuns,
  printRun,
  printRuns,
  type RunsListFilter,
  showLocalRun,
  showRemoteRun,
  withLocalCatalog,
} from './runs.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function localConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'TOML configuration (default: $BENCHTOP_CONFIG, else the simulated lab)')
    .option(
      '--set <key=value>',
      'override a setting, e.g. --set storage.default_backend=arrow (repeatable)',
      collect,
    )
    .option('--no-simulation', 'talk to real hardware even if [simulation] enabled = true');
}

const urlOption = (command: Command) =>
  command.option('--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)');

const plansHelp = builtinPlans.map((p) => `  ${p.name.padEnd(15)} ${p.description}`).join('\n');

/** `benchtop run`, `benchtop runs list|show`, `benchtop export`. */
export function runCommands(env: NodeJS.ProcessEnv): Command[] {
  const io = { out: process.stdout, err: process.stderr };

  const run = urlOption(
    localConfigOptions(
      new Command('run')
        .argument('<plan>', 'count, scan, grid_scan, list_scan, time_series or camera_acquire')
        .argument('[args...]', 'plan arguments: --name value')
        .description('run a plan, with a progress bar: on the server, or in this process with --local')
        .allowUnknownOption()
        .allowExcessArguments(),
    ),
  )
    .option('--local', 'run in this process (builds Benchtop from the configuration, no server)')
    .option(
      '--metadata <key=value>',
      'recorded in the start document, e.g. --metadata sample=Si-42 (repeatable)',
      collect,
    )
    .option('--json', 'print the finished run as JSON')
    .addOption(
      new Option('--log-level <level>', 'log level with --local').choices(['debug', 'info', 'warn', 'error']),
    )
    .addHelpText(
      'after',
      `\nPlans:\n${plansHelp}\n\nExamples:\n  benchtop run scan --detectors meter.power --motor stage.axis1.position --start -1 --stop 1 --num 41\n  benchtop run grid_scan --detectors meter.power --axes stage.axis2.position:0:2:5,stage.axis1.position:-1:1:21 --snake\n  benchtop run count --detectors dmm.voltage,meter.power --num 10 --delay 0.5 --metadata sample=Si-42 --local`,
    )
    .action(
      async (
        plan: string,
        tokens: string[],
        options: ConfigFlags & { local?: boolean; metadata?: string[]; json?: boolean; url?: string },
      ) => {
        const known = builtinPlans.find((p) => p.name === plan);
        const request = {
          plan,
          args: parsePlanArgs(plan, tokens, known?.args),
          metadata: parseMetadata(options.metadata ?? []),
        };
        const runIo = { ...io, json: options.json === true };
        process.exitCode = options.local
          ? await runLocal(request, options, env, runIo)
          : await runRemote(new ApiClient(clientOptions(options, env)), request, runIo);
      },
    );

  const remote = (options: { url?: string }) => options.url !== undefined || env.BENCHTOP_URL !== undefined;
  const runs = new Command('runs').description(
    'the run catalog: list and show runs (local output_dir, or --url)',
  );
  urlOption(localConfigOptions(runs.command('list').description('list runs, newest first')))
    .option('--plan <name>', 'only this plan')
    .option('--status <status>', 'success, abort, fail, interrupted or running (comma-separated)')
    .option('--since <when>', 'started since a date (2026-01-31T08:00Z) or an age (2h, 7d)')
    .option('--limit <n>', 'at most n runs (default 100)')
    .option('--json', 'print JSON')
    .action(async (options: ConfigFlags & RunsListFilter & { url?: string; json?: boolean }) => {
      const views = remote(options)
        ? await listRemoteRuns(new ApiClient(clientOptions(options, env)), options)
        : await withLocalCatalog(options, env, (catalog) => listLocalRuns(catalog, options));
      printRuns(views, options.json === true, io.out);
    });
  urlOption(
    localConfigOptions(runs.command('show <uid>').description("a run's status, events, metadata and files")),
  )
    .option('--json', 'print JSON')
    .action(async (uid: string, options: ConfigFlags & { url?: string; json?: boolean }) => {
      const view = remote(options)
        ? await showRemoteRun(new ApiClient(clientOptions(options, env)), uid)
        : await withLocalCatalog(options, env, (catalog, outputDir) => showLocalRun(catalog, outputDir, uid));
      printRun(view, options.json === true, io.out);
    });

  const exporter = urlOption(
    localConfigOptions(
      new Command('export')
        .argument('<uid>', 'run uid (benchtop runs list)')
        .description(
          'export a run from the local catalog, or downloaded from a server with --url (key: $BENCHTOP_API_KEY): one file per stream in --out, with a progress bar',
        )
        .addOption(
          new Option('--format <format>', 'output format').choices(CLI_EXPORT_FORMATS).makeOptionMandatory(),
        )
        .requiredOption('--out <dir>', 'directory for the exported files (created if missing)'),
    ),
  ).action(async (uid: string, options: ConfigFlags & { format: string; out: string; url?: string }) => {
    // Loaded on use: the converters bring h5wasm and parquet-wasm, which a running server does not need.
    const { exportCommand, exportRemoteCommand } = await import('./export.ts');
    if (remote(options)) {
      await exportRemoteCommand(
        new ApiClient(clientOptions(options, env)),
        uid,
        options.format,
        options.out,
        io,
      );
      return;
    }
    await withLocalCatalog(options, env, (catalog, outputDir) =>
      exportCommand(catalog, outputDir, uid, options.format, options.out, io),
    );
  });

  return [run, runs, exporter];
}
