import pg from 'pg';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { benchScript, nodeBin, runJson } from '../lib/child-process.ts';
import { postgresUrl } from '../lib/machine.ts';
import { makeResult } from '../lib/results.ts';
import { spread } from '../lib/stats.ts';

interface TrackingRound {
  parts_per_s: number;
  p99_ms: number;
  stored: number;
  parts: number;
}

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

/**
 * Line tracking (issue 15): parts per second the tracking path sustains end to end (part event
 * → stored in PostgreSQL, result written back) and the p99 of event → write-back, one part after
 * another. The PLC and camera are in-process fakes (the LogixPlc/KeyenceCvx simulators live on
 * other branches), so this measures Benchtop's path and its store, not the wire.
 */
export const lineTrackingBenchmark: Benchmark = {
  name: 'line-tracking',
  title: 'Production line tracking',
  async run(ctx) {
    const parts = pick(ctx, { quick: 2_000, full: 20_000 });
    const missing = await postgresMissing();
    const rounds: TrackingRound[] = [];
    if (!missing) {
      for (let round = 0; round < ctx.rounds; round++) {
        const r = await runJson<TrackingRound>(
          nodeBin,
          [
            ...ctx.nodeArgs('line-tracking'),
            benchScript('children/line-tracking.ts'),
            'postgres',
            postgresUrl,
            String(parts),
          ],
          { timeoutMs: 600_000 },
        );
        if (r.stored !== r.parts)
          throw new Error(`round ${round + 1}: ${r.stored} of ${r.parts} parts stored`);
        ctx.log(
          `  round ${round + 1}/${ctx.rounds}: ${r.parts_per_s.toFixed(0)} parts/s, p99 ${r.p99_ms.toFixed(2)} ms`,
        );
        rounds.push(r);
      }
    }
    const note = `${parts.toLocaleString('en-US')} parts per round, closed loop, every part verified stored`;
    const measured = (pickValue: (r: TrackingRound) => number) =>
      missing ? { missing } : spread(rounds.map(pickValue));
    return [
      makeResult({
        benchmark: 'line-tracking',
        metric: 'parts tracked end to end into PostgreSQL',
        unit: 'parts/s',
        ours: measured((r) => r.parts_per_s),
        targets: [{ kind: 'at-least', value: 50 }],
        notes: [note],
      }),
      makeResult({
        benchmark: 'line-tracking',
        metric: 'part event → result written back, p99',
        unit: 'ms',
        ours: measured((r) => r.p99_ms),
        targets: [{ kind: 'below', value: 50 }],
        notes: [note],
      }),
    ];
  },
};
