import { Command, Option } from 'commander';
import { ConfigError } from '../config/issues.ts';
import { BenchtopError } from '../core/errors.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { ApiClient, clientOptions } from './client/api-client.ts';
import { backupCommand, configFileCommands } from './commands/backup-commands.ts';
import { configPrintCommand } from './commands/config-print.ts';
import { dbCommand } from './commands/db-commands.ts';
import { reportCommand } from './commands/report-commands.ts';
import { runCommands } from './commands/run-commands.ts';
import { securityCommands } from './commands/security-commands.ts';
import { callCommand, getCommand, setCommand, watchCommand } from './commands/signal-commands.ts';
import { simCommand } from './commands/sim.ts';
import { startCommand } from './commands/start.ts';
import { validateConfigCommand } from './commands/validate-config.ts';
import type { ConfigFlags } from './config-source.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Flags every command that loads a configuration accepts. */
function configOptions(command: Command): Command {
  return command
    .option(
      '-c, --config <file>',
      'TOML configuration file (default: $BENCHTOP_CONFIG, else the built-in simulated lab)',
    )
    .option('--port <port>', 'override server.port')
    .option('--bind <address>', 'override server.bind_address')
    .addOption(
      new Option('--log-level <level>', 'override application.log_level').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .option(
      '--set <key=value>',
      'override any setting, e.g. --set storage.output_dir=/data (repeatable)',
      collect,
    )
    .option('--no-simulation', 'talk to real hardware even if [simulation] enabled = true');
}

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('benchtop')
    .description('Benchtop: data acquisition and control for laboratory and factory instruments')
    .version(BENCHTOP_VERSION, '-V, --version')
    .option('--validate-config <file>', 'validate a configuration file and exit (0 valid, 2 invalid)')
    .enablePositionalOptions()
    .showHelpAfterError();
  configOptions(program).action(async (options: ConfigFlags & { validateConfig?: string }) => {
    if (options.validateConfig) {
      process.exitCode = validateConfigCommand(options.validateConfig, env, process.stdout, process.stderr);
      return;
    }
    await startCommand(options, env);
  });

  configOptions(program.command('start').description('start the server (the default command)')).action(
    async (options: ConfigFlags) => {
      await startCommand(options, env);
    },
  );

  program
    .command('validate-config <file>')
    .description('validate a configuration file: prints every problem with its line, exits 2 if invalid')
    .action((file: string) => {
      process.exitCode = validateConfigCommand(file, env, process.stdout, process.stderr);
    });

  const config = program.command('config').description('inspect the configuration');
  configOptions(
    config.command('print').description('print the effective configuration with the source of each setting'),
  )
    .option('--json', 'print JSON')
    .action((options: ConfigFlags & { json?: boolean }) => configPrintCommand(options, env, process.stdout));

  configOptions(
    program
      .command('sim')
      .description('run the instrument simulators standalone on the addresses in the config'),
  ).action(async (options: ConfigFlags) => {
    const close = await simCommand(options, env, process.stdout);
    const stop = () => void close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  for (const command of securityCommands(env)) program.addCommand(command);
  for (const command of runCommands(env)) program.addCommand(command);
  program.addCommand(backupCommand(env));
  program.addCommand(dbCommand(env));
  program.addCommand(reportCommand(env));
  configFileCommands(config, env);

  const client = (cmd: Command) =>
    new ApiClient(clientOptions(cmd.optsWithGlobals() as { url?: string }, env));
  const url = (cmd: Command) =>
    cmd.option('--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)');
  url(
    program.command('get <signal>').description('read a signal, e.g. benchtop get laser.wavelength'),
  ).action(async (signal: string, _o, cmd: Command) => getCommand(client(cmd), signal, process.stdout));
  url(
    program
      .command('set <signal> <value>')
      .description('write a signal and wait until done, e.g. benchtop set stage.axis1.position 5'),
  )
    .option('--no-wait', 'return as soon as the command is sent')
    .action(async (signal: string, value: string, o: { wait: boolean }, cmd: Command) =>
      setCommand(client(cmd), signal, value, o.wait, process.stdout),
    );
  url(
    program
      .command('call <action> [args...]')
      .description(
        'run an action, e.g. benchtop call stage.axis1.home, benchtop call stage.axis1.move_relative delta=0.5',
      ),
  ).action(async (action: string, args: string[], _o, cmd: Command) =>
    callCommand(client(cmd), action, args, process.stdout),
  );
  url(
    program
      .command('watch <signals...>')
      .description('print live updates, e.g. benchtop watch meter.power laser.power'),
  )
    .option('--rate <hz>', 'maximum updates per second per signal', '5')
    .option('--count <n>', 'stop after n updates')
    .action(async (signals: string[], o: { rate: string; count?: string }, cmd: Command) =>
      watchCommand(
        client(cmd),
        signals,
        { rateHz: Number(o.rate), ...(o.count ? { count: Number(o.count) } : {}) },
        process.stdout,
      ),
    );

  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
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
