import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { SecurityStore } from '../../server/auth/security-store.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, resolveConfigFile } from '../config-source.ts';

// `benchtop keys …` and `benchtop users …` work on the security database of the configured
// output_dir (keys and users are local, like the data).

async function withStore<T>(
  inv: Invocation<ConfigFlags, unknown>,
  use: (store: SecurityStore) => T,
): Promise<Awaited<T>> {
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(inv.options.config, inv.env),
    env: inv.env,
  });
  const store = SecurityStore.inOutputDir(config.storage.output_dir);
  try {
    return await use(store);
  } finally {
    store.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export const keysCreate = (inv: Invocation<ConfigFlags & { role: string; name: string }, unknown>) =>
  withStore(inv, (store) => {
    const { name } = inv.options;
    const k = store.createKey(name, inv.options.role);
    inv.out.write(`${k.key}\n`);
    inv.err.write(
      `created key ${k.id} (${name}, role ${k.role}); store the secret above now, it is not shown again\n`,
    );
  });

export const keysList = (inv: Invocation<ConfigFlags, unknown>) =>
  withStore(inv, (store) => {
    for (const k of store.listKeys()) {
      inv.out.write(
        `${k.id}  ${k.role.padEnd(8)} ${k.name.padEnd(24)} created ${k.created_at}${k.revoked_at ? `  REVOKED ${k.revoked_at}` : ''}\n`,
      );
    }
  });

export const keysRevoke = (inv: Invocation<ConfigFlags, { id: string }>) =>
  withStore(inv, (store) => {
    const { id } = inv.args;
    if (!store.revokeKey(id)) {
      inv.err.write(`no active key ${id}\n`);
      return 1;
    }
    inv.out.write(`revoked ${id}\n`);
    return 0;
  });

export async function usersAdd(inv: Invocation<ConfigFlags & { role: string }, { name: string }>) {
  const password = await readStdin();
  const { name } = inv.args;
  await withStore(inv, async (store) => {
    await store.addUser(name, inv.options.role, password);
    inv.out.write(`added user ${name} (${inv.options.role})\n`);
  });
}

export async function usersPasswd(inv: Invocation<ConfigFlags, { name: string }>) {
  const password = await readStdin();
  const { name } = inv.args;
  return withStore(inv, async (store) => {
    if (!(await store.setPassword(name, password))) {
      inv.err.write(`no user ${name}\n`);
      return 1;
    }
    inv.out.write(`changed the password of ${name}; their sessions are ended\n`);
    return 0;
  });
}

export const usersList = (inv: Invocation<ConfigFlags, unknown>) =>
  withStore(inv, (store) => {
    for (const u of store.listUsers())
      inv.out.write(`${u.name.padEnd(20)} ${u.role.padEnd(8)} created ${u.created_at}\n`);
  });

export const usersRemove = (inv: Invocation<ConfigFlags, { name: string }>) =>
  withStore(inv, (store) => {
    const { name } = inv.args;
    if (!store.removeUser(name)) {
      inv.err.write(`no user ${name}\n`);
      return 1;
    }
    inv.out.write(`removed ${name}\n`);
    return 0;
  });
