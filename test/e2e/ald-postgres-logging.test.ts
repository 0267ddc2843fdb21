import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { Benchtop } from '../../src/app/benchtop.ts';
import { runDoctor } from '../../src/app/doctor.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';

/**
 * The ALD tool's 1 s parameter log into PostgreSQL (issue 13): config/ald.toml as shipped (the
 * simulated PLC and its `[[logging.groups]] points = "plc.*"`) with `[storage.postgres] url` set,
 * run on a ManualClock so that "each second" is exact; then `benchtop doctor`'s database check.
 * Against the machine's PostgreSQL (127.0.0.1:5432, trust auth, database `test`); each test
 * writes into a schema of its own, dropped at the end. TimescaleDB is used when the server has
 * it ("auto"), otherwise a plain table: both are the same rows to count.
 */
const url = process.env.BENCHTOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `benchtop_ald_${randomBytes(4).toString('hex')}`;
const configFile = new URL('../../config/ald.toml', import.meta.url).pathname;

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const skip = await query('SELECT 1').then(
  () => false,
  (error: Error) => `PostgreSQL not reachable at ${url}: ${error.message}`,
);

describe('ALD tool parameter log in PostgreSQL', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-ald-pg-'));
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  const aldConfig = (name: string, postgres: { url: string; table: string }) => {
    const loaded = loadBenchtopConfig({ file: configFile, env: {} });
    const { config } = loaded;
    config.storage.output_dir = join(dir, `${name}-data`);
    config.backup.dir = join(dir, `${name}-backups`);
    config.storage.postgres = { ...postgres, timescaledb: 'auto', schema };
    config.simulation.ports.plc = 0;
    config.server.port = 0;
    return loaded;
  };

  it('logs every point of the PLC each second: one row per point per second, none null', async () => {
    const table = 'ald_log';
    const loaded = aldConfig('log', { url, table });
    const group = loaded.config.logging.groups.find((g) => g.name === 'ald')!;
    const points = (loaded.config.instruments[0]!.config as { points: { name: string }[] }).points;
    // "plc.*" selects every point of the PLC, the way the shipped config is meant to.
    assert.equal(group.points, 'plc.*');
    assert.deepEqual([...group.signals].sort(), points.map((p) => `plc.${p.name}`).sort());

    const clock = new ManualClock();
    const bt = new Benchtop(loaded, silentLogger(), { clock });
    const starting = bt.start();
    // The PLC's connect and the server start wait on real sockets; the clock stands still meanwhile.
    await starting;
    const started = clock.now();
    for (let t = 0; t < 5_500; t += 10) await clock.advance(10);
    await bt.stop(); // writes what the logger still holds
    assert.equal(bt.timeseries?.kind === 'timescaledb' || bt.timeseries?.kind === 'postgres', true);

    const rows = await query<{ t: string; n: string; valued: string }>(
      `SELECT extract(epoch FROM time) * 1000 AS t, count(*) AS n, count(value) AS valued
         FROM "${schema}"."${table}" GROUP BY time ORDER BY time`,
    );
    const seconds = rows.map((r) => Number(r.t));
    // One tick on every whole second after the start, none skipped, none twice.
    const first = Math.ceil(started / 1000) * 1000;
    assert.deepEqual(
      seconds,
      Array.from({ length: seconds.length }, (_, i) => first + i * 1000),
    );
    assert.ok(seconds.length >= 5, `${seconds.length} ticks in 5.5 s`);
    for (const r of rows) {
      assert.equal(Number(r.n), points.length, `every point at ${new Date(Number(r.t)).toISOString()}`);
      assert.equal(Number(r.valued), points.length, 'none stored as null');
    }
    const signals = await query<{ signal: string }>(
      `SELECT DISTINCT signal FROM "${schema}"."${table}" ORDER BY signal`,
    );
    assert.deepEqual(
      signals.map((s) => s.signal),
      points.map((p) => `plc.${p.name}`).sort(),
    );
  });

  it('benchtop doctor opens and queries the database, and says how to fix an unreachable one', async () => {
    const good = await runDoctor(aldConfig('doctor', { url, table: 'doctor_log' }), silentLogger(), 10_000);
    assert.deepEqual(
      good.filter((c) => !c.ok),
      [],
    );
    const database = good.find((c) => c.name.startsWith('database: parameter log'))!;
    assert.match(database.name, /\((postgres|timescaledb)\)$/);

    // Nothing listens on port 1: the check fails, names the problem and the setting to fix.
    const bad = await runDoctor(
      aldConfig('doctor-bad', { url: 'postgres://postgres@127.0.0.1:1/test', table: 'doctor_log' }),
      silentLogger(),
      10_000,
    );
    const failed = bad.filter((c) => !c.ok);
    assert.deepEqual(
      failed.map((c) => c.name),
      ['database: parameter log'],
    );
    assert.match(failed[0]!.message, /ECONNREFUSED/);
    assert.match(failed[0]!.fix ?? '', /\[storage\.postgres\] url/);
  });
});
