import pg from 'pg';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { benchScript, nodeBin, runJson } from '../lib/child-process.ts';
import { postgresUrl } from '../lib/machine.ts';
import { makeResult } from '../lib/results.ts';
import { spread } from '../lib/stats.ts';

/** The in-process path (fake PLC and camera answering on the next turn): the anchor. */
interface FakeRound {
  parts_per_s: number;
  p99_ms: number;
  stored: number;
  parts: number;
}

/** One run of bench/children/line-tracking-simulators.ts. */
interface SimulatorRound {
  cycle_ms: number;
  scan_ms: number;
  camera_ms: number;
  offered_per_s: number;
  parts: number;
  stored: number;
  parts_per_s: number;
  e2e_p50_ms: number;
  e2e_p99_ms: number;
  path_p99_ms: number;
  scan_wait_p99_ms: number;
  missed: number;
  pending: number;
  write_back_failures: number;
  queue_high_water: number;
  process_cpu_pct: number;
}

/**
 * The line faster than the target (16 ms cycle, 62.5 parts/s offered) so that "sustains ≥ 50
 * parts/s" is measured with headroom, not capped by the line itself; the line at 50 parts/s (20 ms
 * cycle); both with the driver's fastest 10 ms tag scan and a CV-X program of 5 ms. And the line at
 * 50 parts/s with the simulator's default 25 ms program, which alone caps one station at 40
 * inspections/s (the camera as the limit, so no target there). Parts are Part.Counter steps (the
 * shipped config's part_event), so a scan sees every part while the cycle is longer than the scan.
 * `targets`: the rate target applies only where the line offers more than it.
 */
const SIMULATED = [
  {
    label: '62.5 parts/s, camera 5 ms',
    cycleMs: 16,
    scanMs: 10,
    cameraMs: 5,
    rateTarget: true,
    latencyTarget: true,
  },
  {
    label: '50 parts/s, camera 5 ms',
    cycleMs: 20,
    scanMs: 10,
    cameraMs: 5,
    rateTarget: false,
    latencyTarget: true,
  },
  {
    label: '50 parts/s, camera 25 ms',
    cycleMs: 20,
    scanMs: 10,
    cameraMs: 25,
    rateTarget: false,
    latencyTarget: false,
  },
] as const;

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
 * → stored in PostgreSQL, result written back) and the p99 of event → write-back, on the
 * simulators over their real protocols: the LogixPlc simulator on EtherNet/IP and the KeyenceCvx
 * simulator on its TCP port in a process of their own (as the PLC and camera are machines of
 * their own), Benchtop configured as for the real line connecting to them, the line store in
 * PostgreSQL at 127.0.0.1:5432. The anchor, run alternately in the same invocation, is the same
 * tracker and store with in-process fakes for the PLC and camera (Benchtop's path without the
 * wire, the scan or the camera's processing time).
 */
export const lineTrackingBenchmark: Benchmark = {
  name: 'line-tracking',
  title: 'Production line tracking',
  async run(ctx) {
    const parts = pick(ctx, { quick: 500, full: 3_000 });
    const fakeParts = pick(ctx, { quick: 2_000, full: 20_000 });
    const missing = await postgresMissing();
    const fakes: FakeRound[] = [];
    const simulated = new Map<string, SimulatorRound[]>(SIMULATED.map((c) => [c.label, []]));
    for (let round = 0; !missing && round < ctx.rounds; round++) {
      const f = await runJson<FakeRound>(
        nodeBin,
        [
          ...ctx.nodeArgs('line-tracking-fakes'),
          benchScript('children/line-tracking.ts'),
          'postgres',
          postgresUrl,
          String(fakeParts),
        ],
        { timeoutMs: 600_000 },
      );
      if (f.stored !== f.parts) throw new Error(`fakes round ${round + 1}: ${f.stored} of ${f.parts} stored`);
      ctx.log(
        `  round ${round + 1}/${ctx.rounds} anchor (fakes): ${f.parts_per_s.toFixed(0)} parts/s, p99 ${f.p99_ms.toFixed(2)} ms`,
      );
      fakes.push(f);
      for (const c of SIMULATED) {
        const r = await runJson<SimulatorRound>(
          nodeBin,
          [
            ...ctx.nodeArgs('line-tracking-simulators'),
            benchScript('children/line-tracking-simulators.ts'),
            postgresUrl,
            String(parts),
            String(c.cycleMs),
            String(c.scanMs),
            String(c.cameraMs),
            'separate',
          ],
          { timeoutMs: 600_000 },
        );
        if (r.stored !== r.parts) throw new Error(`${c.label}: ${r.stored} of ${r.parts} parts stored`);
        ctx.log(
          `  round ${round + 1}/${ctx.rounds} ${c.label}: ${r.parts_per_s.toFixed(1)} parts/s tracked of ${r.offered_per_s} made, ` +
            `event → write-back p50 ${r.e2e_p50_ms.toFixed(1)} p99 ${r.e2e_p99_ms.toFixed(1)} ms ` +
            `(tracker's path p99 ${r.path_p99_ms.toFixed(1)}, scan wait p99 ${r.scan_wait_p99_ms.toFixed(1)}), ` +
            `${r.missed} parts the scan missed (Part.Counter jumps), ${r.pending} pending, ` +
            `queue high water ${r.queue_high_water}, process CPU ${r.process_cpu_pct.toFixed(0)} %`,
        );
        simulated.get(c.label)!.push(r);
      }
    }
    const measured = <T>(rows: T[], value: (r: T) => number) =>
      missing ? { missing } : spread(rows.map(value));
    const results = [];
    for (const c of SIMULATED) {
      const rows = simulated.get(c.label)!;
      const missed = rows.reduce((n, r) => n + r.missed, 0);
      const note = `${c.label}: ${c.cycleMs} ms cycle, ${c.scanMs} ms tag scan, ${parts} parts per round, every tracked part verified stored; ${missed} parts the scan missed over all rounds (Part.Counter jumps)`;
      results.push(
        makeResult({
          benchmark: 'line-tracking',
          metric: `parts tracked end to end into PostgreSQL on the simulators (${c.label})`,
          unit: 'parts/s',
          ours: measured(rows, (r) => r.parts_per_s),
          anchors: { 'in-process fakes': measured(fakes, (r) => r.parts_per_s) },
          targets: c.rateTarget ? [{ kind: 'at-least', value: 50 }] : [],
          notes: [note],
        }),
        makeResult({
          benchmark: 'line-tracking',
          metric: `Part.Completed in the PLC → result written back, p99 (${c.label})`,
          unit: 'ms',
          ours: measured(rows, (r) => r.e2e_p99_ms),
          anchors: { 'in-process fakes': measured(fakes, (r) => r.p99_ms) },
          targets: c.latencyTarget ? [{ kind: 'below', value: 50 }] : [],
          notes: [note],
        }),
      );
    }
    return results;
  },
};
