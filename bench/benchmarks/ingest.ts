import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { scratchDir } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { postgresUrl } from '../lib/machine.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';

const BATCH = 5_000;

async function postgresMissing(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return `PostgreSQL not reachable at ${postgresUrl.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function psqlMissing(): string | null {
  const probe = spawnSync('psql', ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? null : 'psql not installed (apt-get install postgresql-client)';
}

/**
 * 5. Time-series ingest: samples/s into the embedded SQLite parameter log and, when the local
 * PostgreSQL is reachable, into PostgreSQL (a table of the benchmark's own), both through the
 * stores' `insert` in batches of 5000, alternating round by round. Anchors, same rows: Python's
 * sqlite3 `executemany` into the SQLite store's schema (one transaction per batch), and
 * `psql \copy` of all rows at once into a table the PostgreSQL store made (same key and index).
 */
export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  title: 'Time-series ingest',
  async run(ctx) {
    const samples = pick(ctx, { quick: 200_000, full: 1_000_000 });
    const scratch = scratchDir('ingest');
    const args = (backend: string, where: string) => [
      ...ctx.nodeArgs(`ingest-${backend}`),
      benchScript('children/timeseries-ingest.ts'),
      backend,
      where,
      String(samples),
      String(BATCH),
    ];
    try {
      const outcome = await alternate(
        ctx.rounds,
        [
          {
            name: 'sqlite',
            run: async (round) => {
              const dir = join(scratch.dir, `sqlite-${round}`);
              try {
                return (
                  await runJson<{ samples_per_s: number }>(nodeBin, args('sqlite', dir), {
                    timeoutMs: 600_000,
                  })
                ).samples_per_s;
              } finally {
                rmSync(dir, { recursive: true, force: true });
              }
            },
          },
          {
            name: 'python-sqlite3',
            run: async (round) => {
              const file = join(scratch.dir, `python-sqlite-${round}.sqlite`);
              try {
                return (
                  await runJson<{ samples_per_s: number }>(
                    python,
                    [benchScript('anchors/sqlite_executemany.py'), file, String(samples), String(BATCH)],
                    { timeoutMs: 600_000 },
                  )
                ).samples_per_s;
              } finally {
                for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
              }
            },
          },
          {
            name: 'psql-copy',
            unavailable: (await postgresMissing()) ?? psqlMissing(),
            run: async () =>
              (
                await runJson<{ samples_per_s: number }>(
                  nodeBin,
                  [
                    ...ctx.nodeArgs('ingest-psql-copy'),
                    benchScript('children/psql-copy-anchor.ts'),
                    postgresUrl,
                    String(samples),
                  ],
                  { timeoutMs: 600_000 },
                )
              ).samples_per_s,
          },
          {
            name: 'postgres',
            unavailable: await postgresMissing(),
            run: async () =>
              (
                await runJson<{ samples_per_s: number }>(nodeBin, args('postgres', postgresUrl), {
                  timeoutMs: 600_000,
                })
              ).samples_per_s,
          },
        ],
        ctx.log,
      );
      const note = `${samples.toLocaleString('en-US')} samples over 100 signals per round, batches of ${BATCH}`;
      return [
        makeResult({
          benchmark: 'ingest',
          metric: 'parameter-log ingest, embedded SQLite',
          unit: 'samples/s',
          ours: outcome.sqlite!,
          anchors: { 'python-sqlite3': outcome['python-sqlite3']! },
          targets: [{ kind: 'at-least', value: 500_000 }],
          notes: [note],
        }),
        makeResult({
          benchmark: 'ingest',
          metric: 'parameter-log ingest, PostgreSQL',
          unit: 'samples/s',
          ours: outcome.postgres!,
          anchors: { 'psql-copy': outcome['psql-copy']! },
          targets: [
            { kind: 'at-least', value: 100_000 },
            { kind: 'ratio-at-least', anchor: 'psql-copy', ratio: 0.8 },
          ],
          notes: [note],
        }),
      ];
    } finally {
      scratch.remove();
    }
  },
};
