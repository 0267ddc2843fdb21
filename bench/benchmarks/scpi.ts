import { spawnSync } from 'node:child_process';
import { simulatorConfig } from '../lib/bench-configs.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';

interface QueryRate {
  queries_per_s: number;
}

function pyvisaMissing(): string | null {
  const probe = spawnSync(python, ['-c', 'import pyvisa, pyvisa_py'], { stdio: 'ignore' });
  return probe.status === 0 ? null : 'PyVISA-py not installed (apt-get install python3-pyvisa-py)';
}

/**
 * 1. SCPI query round trip: `MEAS:VOLT:DC?` against one simulated DMM (in its own process),
 * queried one at a time by Benchtop's full stack, by PyVISA-py as a user opens it
 * (`TCPIP0::…::SOCKET`, read/write termination "\n", defaults otherwise) and by a bare socket.
 */
export const scpiBenchmark: Benchmark = {
  name: 'scpi',
  title: 'SCPI query round trip',
  async run(ctx) {
    const queries = pick(ctx, { quick: 2_000, full: 10_000 });
    // Every client gets the same untimed warm-up. A server polls its instruments for hours, so
    // the figure of interest is the steady state: a few hundred queries leave the stack's hot
    // path to V8's baseline tiers (its optimizing compiler had not yet run on them after 300,
    // and 3,000 warm-up queries nearly doubled the quick run's rate), which the bare socket's
    // few lines and Python's interpreter do not need.
    const warmup = pick(ctx, { quick: 3_000, full: 5_000 });
    const sim = await startSimulators({ name: 'scpi', config: simulatorConfig(['dmm']) });
    const port = sim.ports.dmm!;
    const args = [String(port), String(queries), String(warmup)];
    const timeoutMs = 300_000;
    try {
      const outcome = await alternate(
        ctx.rounds,
        [
          {
            name: 'benchtop',
            run: async () =>
              (
                await runJson<QueryRate>(
                  nodeBin,
                  [...ctx.nodeArgs('scpi-stack'), benchScript('children/scpi-stack-client.ts'), ...args],
                  { timeoutMs },
                )
              ).queries_per_s,
          },
          {
            name: 'pyvisa-py',
            unavailable: pyvisaMissing(),
            run: async () =>
              (
                await runJson<QueryRate>(
                  python,
                  [
                    benchScript('anchors/pyvisa_query.py'),
                    `TCPIP0::127.0.0.1::${port}::SOCKET`,
                    String(queries),
                    '--warmup',
                    String(warmup),
                  ],
                  { timeoutMs },
                )
              ).queries_per_s,
          },
          {
            name: 'node-socket',
            run: async () =>
              (
                await runJson<QueryRate>(nodeBin, [benchScript('children/scpi-socket-client.ts'), ...args], {
                  timeoutMs,
                })
              ).queries_per_s,
          },
        ],
        ctx.log,
      );
      return [
        makeResult({
          benchmark: 'scpi',
          metric: 'query round trips (MEAS:VOLT:DC?)',
          unit: 'queries/s',
          ours: outcome.benchtop!,
          anchors: { 'pyvisa-py': outcome['pyvisa-py']!, 'node-socket': outcome['node-socket']! },
          targets: [
            // Issue 20: the bare socket is the physical limit of this benchmark.
            { kind: 'ratio-at-least', anchor: 'pyvisa-py', ratio: 1.0 },
            { kind: 'ratio-at-least', anchor: 'node-socket', ratio: 0.9 },
          ],
          notes: [`${queries} queries per round after ${warmup} untimed; simulator in its own process`],
        }),
      ];
    } finally {
      await sim.stop();
    }
  },
};
