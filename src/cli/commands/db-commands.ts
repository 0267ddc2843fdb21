import { Command } from 'commander';
import type { SchemaStatus } from '../../production/store/line-store.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

// Config loading and the stores are imported when the command runs, so building the program
// (and `benchtop --version`) loads neither TypeBox nor a database driver.
async function configOf(flags: ConfigFlags, env: NodeJS.ProcessEnv) {
  const { loadConfig } = await import('../../config/load.ts');
  return loadConfig({ file: resolveConfigFile(flags.config, env), env, flags: flagOverrides(flags) }).config;
}

function printStatus(status: SchemaStatus, out: NodeJS.WritableStream): void {
  out.write(`backend: ${status.backend}\nschema version: ${status.version} of ${status.latest}\n`);
  for (const m of status.applied) out.write(`  ${m.version}  ${m.appliedAt}  ${m.description}\n`);
  if (status.version < status.latest)
    out.write(`pending: ${status.latest - status.version} migration(s); run benchtop db migrate\n`);
}

/** `benchtop db migrate|status`: the production line store's schema (SQLite or PostgreSQL). */
export function dbCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream = process.stdout): Command {
  const db = new Command('db').description(
    'the production database (parts, defects, line events): schema migrations',
  );
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  for (const [name, description] of [
    ['migrate', 'create or upgrade the schema to the latest version'],
    ['status', 'show the schema version and applied migrations without changing anything'],
  ] as const) {
    db.command(name)
      .description(description)
      .option('-c, --config <file>', 'configuration file')
      .option(
        '--set <key=value>',
        'override a setting, e.g. --set storage.postgres.url=postgres://…',
        collect,
      )
      .action(async (flags: ConfigFlags) => {
        const config = await configOf(flags, env);
        const { lineStoreStatus, openLineStore } = await import('../../production/store/open-line-store.ts');
        if (name === 'migrate') {
          const before = await lineStoreStatus(config);
          const store = await openLineStore(config);
          const after = await store.status();
          await store.close();
          out.write(`migrated ${after.backend} from version ${before.version} to ${after.version}\n`);
          return;
        }
        printStatus(await lineStoreStatus(config), out);
      });
  }
  return db;
}
