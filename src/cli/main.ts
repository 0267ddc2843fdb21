import { Command, Option } from 'commander';
import { ConfigError } from '../config/issues.ts';
import { BenchtopError } from '../core/errors.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { configPrintCommand } from './commands/config-print.ts';
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
