import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PrivateNatsServer } from '../../src/distributed/testing/nats-server.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { benchScript, ChildHandle, nodeBin, runJson } from '../lib/child-process.ts';
import { postgresUrl } from '../lib/machine.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';

const BATCH = 1_000;

async function postgresMissing(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return `PostgreSQL not reachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function jsonLine<T>(child: ChildHandle, t: string, timeoutMs: number): Promise<T> {
  return child
    .waitForLine((l) => l.startsWith(`{"t":"${t}"`), timeoutMs, `${t} line`)
    .then((l) => JSON.parse(l) as T);
}

/**
 * One round of the bus path: a fresh nats-server (file store), the hub's LogWriter into its own
 * PostgreSQL table in one process, the agent's outbox (filled beforehand) drained by its
 * LogForwarder in another. Samples/s = samples ÷ (forwarding starts → the table holds them
 * all). Zero loss is checked on the table: rows = distinct (signal, time) = samples.
 */
async function busRound(samples: number, nodeArgs: (label: string) => string[]): Promise<number> {
  const nats = new PrivateNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-bench-bus-ingest-'));
  let hub: ChildHandle | null = null;
  let agent: ChildHandle | null = null;
  try {
    await nats.start();
    hub = new ChildHandle(nodeBin, [
      ...nodeArgs('site-ingest-hub'),
      benchScript('children/bus-ingest-hub.ts'),
      nats.url,
      postgresUrl,
      String(samples),
    ]);
    await jsonLine(hub, 'ready', 60_000);
    const stored = jsonLine<{ at: number; rows: number; distinct: number }>(hub, 'stored', 600_000);
    agent = new ChildHandle(nodeBin, [
      ...nodeArgs('site-ingest-agent'),
      benchScript('children/bus-ingest-agent.ts'),
      nats.url,
      dir,
      String(samples),
      String(BATCH),
    ]);
    const started = await jsonLine<{ at: number }>(agent, 'started', 300_000);
    const done = await stored;
    if (done.rows !== samples || done.distinct !== samples)
      throw new Error(`loss or duplicates: ${done.rows} rows, ${done.distinct} distinct, ${samples} sent`);
    await agent.exited;
    return samples / ((done.at - started.at) / 1000);
  } finally {
    await agent?.stop(5_000);
    await hub?.stop(5_000);
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Several machines, parameter-log throughput: samples/s from an agent's outbox through NATS
 * JetStream (LOG stream, file storage) and the hub's durable consumer into PostgreSQL, with
 * zero loss. Anchors, same rows and table shape: `psql \copy` of all rows at once (the
 * database's own bulk path), and the PostgreSQL store's `insert` fed directly in batches of
 * 5000 (what the bus adds on top of Benchtop's own writes). Rounds rotate who goes first.
 */
export const siteIngestBenchmark: Benchmark = {
  name: 'site-ingest',
  title: 'Several machines: parameter log agent → bus → PostgreSQL',
  async run(ctx) {
    const samples = pick(ctx, { quick: 200_000, full: 1_000_000 });
    const missing = await postgresMissing();
    const psql =
      spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'psql not installed';
    const outcome = await alternate(
      ctx.rounds,
      [
        { name: 'bus', unavailable: missing, run: () => busRound(samples, (l) => ctx.nodeArgs(l)) },
        {
          name: 'psql-copy',
          unavailable: missing ?? psql,
          run: async () =>
            (
              await runJson<{ samples_per_s: number }>(
                nodeBin,
                [benchScript('children/psql-copy-anchor.ts'), postgresUrl, String(samples)],
                { timeoutMs: 600_000 },
              )
            ).samples_per_s,
        },
        {
          name: 'store-direct',
          unavailable: missing,
          run: async () =>
            (
              await runJson<{ samples_per_s: number }>(
                nodeBin,
                [
                  benchScript('children/timeseries-ingest.ts'),
                  'postgres',
                  postgresUrl,
                  String(samples),
                  '5000',
                ],
                { timeoutMs: 600_000 },
              )
            ).samples_per_s,
        },
      ],
      ctx.log,
    );
    return [
      makeResult({
        benchmark: 'site-ingest',
        metric: 'parameter log through the bus into PostgreSQL, zero loss',
        unit: 'samples/s',
        ours: outcome.bus!,
        anchors: { 'psql-copy': outcome['psql-copy']!, 'store-direct': outcome['store-direct']! },
        targets: [{ kind: 'at-least', value: 100_000 }],
        notes: [
          `${samples.toLocaleString('en-US')} samples over 100 signals per round, outbox batches of ${BATCH}; agent and hub writer in separate processes, a fresh nats-server each round; rows = distinct keys = samples checked every round`,
        ],
      }),
    ];
  },
};
