import { Command } from 'commander';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { SecurityStore } from '../../server/auth/security-store.ts';
import { type ConfigFlags, resolveConfigFile } from '../config-source.ts';

/** The security database of the configured output_dir (keys and users are local, like the data). */
function openStore(flags: ConfigFlags, env: NodeJS.ProcessEnv): SecurityStore {
  const { config } = loadBenchtopConfig({ file: resolveConfigFile(flags.config, env), env });
  return SecurityStore.inOutputDir(config.storage.output_dir);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `benchtop keys …` and `benchtop users …`. */
export function securityCommands(env: NodeJS.ProcessEnv): Command[] {
  const withConfig = (c: Command) =>
    c.option('-c, --config <file>', 'configuration file (its storage.output_dir holds security.sqlite)');
  const keys = new Command('keys').description('API keys (stored hashed; the secret is shown once)');
  withConfig(keys.command('create'))
    .description('create a key, e.g. benchtop keys create --role operator --name beamline-script')
    .requiredOption('--role <role>', 'viewer | operator | admin')
    .option('--name <name>', 'what the key is for', 'cli')
    .action((o: ConfigFlags & { role: string; name: string }) => {
      const store = openStore(o, env);
      try {
        const k = store.createKey(o.name, o.role);
        process.stdout.write(`${k.key}\n`);
        process.stderr.write(
          `created key ${k.id} (${o.name}, role ${k.role}); store the secret above now, it is not shown again\n`,
        );
      } finally {
        store.close();
      }
    });
  withConfig(keys.command('list'))
    .description('list keys (never their secrets)')
    .action((o: ConfigFlags) => {
      const store = openStore(o, env);
      try {
        for (const k of store.listKeys()) {
          process.stdout.write(
            `${k.id}  ${k.role.padEnd(8)} ${k.name.padEnd(24)} created ${k.created_at}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
  withConfig(keys.command('revoke <id>'))
    .description('revoke a key')
    .action((id: string, o: ConfigFlags) => {
      const store = openStore(o, env);
      try {
        if (!store.revokeKey(id)) {
          process.stderr.write(`no active key ${id}\n`);
          process.exitCode = 1;
        } else process.stdout.write(`revoked ${id}\n`);
      } finally {
        store.close();
      }
    });

  const users = new Command('users').description(
    'users who log in to the dashboard (passwords hashed with scrypt)',
  );
  withConfig(users.command('add <name>'))
    .description('add a user; the password is read from standard input')
    .requiredOption('--role <role>', 'viewer | operator | admin')
    .action(async (name: string, o: ConfigFlags & { role: string }) => {
      const password = await readStdin();
      const store = openStore(o, env);
      try {
        await store.addUser(name, o.role, password);
        process.stdout.write(`added user ${name} (${o.role})\n`);
      } finally {
        store.close();
      }
    });
  withConfig(users.command('list'))
    .description('list users')
    .action((o: ConfigFlags) => {
      const store = openStore(o, env);
      try {
        for (const u of store.listUsers())
          process.stdout.write(`${u.name.padEnd(20)} ${u.role.padEnd(8)} created ${u.created_at}\n`);
      } finally {
        store.close();
      }
    });
  withConfig(users.command('remove <name>'))
    .description('remove a user')
    .action((name: string, o: ConfigFlags) => {
      const store = openStore(o, env);
      try {
        if (!store.removeUser(name)) {
          process.stderr.write(`no user ${name}\n`);
          process.exitCode = 1;
        } else process.stdout.write(`removed ${name}\n`);
      } finally {
        store.close();
      }
    });
  return [keys, users];
}
