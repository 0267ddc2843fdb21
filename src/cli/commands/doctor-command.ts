import { Command } from 'commander';
import { runDoctor } from '../../app/doctor.ts';
import { loadConfig } from '../../config/load.ts';
import { silentLogger } from '../../core/logger.ts';
import { resolveConfigFile } from '../config-source.ts';

/** `benchtop doctor [--config FILE]`: every check with what to do about a failed one; exit 1 when any failed. */
export function doctorCommand(env: NodeJS.ProcessEnv): Command {
  return new Command('doctor')
    .description('check the configuration, directories, databases and every instrument; say what to fix')
    .option('--config <file>', 'configuration (default: $BENCHTOP_CONFIG, else config/default.toml)')
    .option('--timeout <s>', 'how long each instrument has to become ready', '10')
    .action(async (options: { config?: string; timeout: string }) => {
      const file = resolveConfigFile(options.config, env);
      const loaded = loadConfig({ file, env });
      const logger = silentLogger();
      process.stdout.write(`benchtop doctor: ${file}\n`);
      const checks = await runDoctor(loaded, logger, Number(options.timeout) * 1000);
      for (const c of checks) {
        process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.message}\n`);
        if (!c.ok && c.fix) process.stdout.write(`      fix: ${c.fix}\n`);
      }
      const failed = checks.filter((c) => !c.ok).length;
      process.stdout.write(
        failed === 0 ? 'everything is fine\n' : `${failed} problem${failed > 1 ? 's' : ''}\n`,
      );
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
