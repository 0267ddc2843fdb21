import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL for tests; override with BENCHTOP_TEST_POSTGRES_URL (any database on it). */
export const adminUrl =
  process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Why tests must skip (PostgreSQL unreachable), or false. */
export async function postgresUnavailable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return false;
  } catch (err) {
    return `PostgreSQL not reachable at ${adminUrl}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh database per test run, dropped (with any connections still on it) by `drop`. */
export async function createThrowawayDatabase(prefix = 'benchtop_line_test'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}
