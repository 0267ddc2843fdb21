import { serverConfig, simulatorConfig } from '../lib/bench-configs.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startBenchtop, startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, runJson } from '../lib/child-process.ts';
import { waitAllReady } from '../lib/fanout-rig.ts';
import { makeResult } from '../lib/results.ts';
import { spread } from '../lib/stats.ts';

interface PutLatency {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * 4. Command latency: `PUT /api/v1/instruments/dmm/signals/range` from a separate process on
 * one keep-alive connection → validation, audit log, actor → `VOLT:DC:RANG v` over TCP to the
 * simulated DMM → `SYST:ERR?` (the driver checks every write) → read back `VOLT:DC:RANG?` →
 * response. The DMM's voltage is polled once a second meanwhile, as a site would run it.
 */
export const commandLatencyBenchmark: Benchmark = {
  name: 'command',
  title: 'HTTP PUT signal → instrument → response',
  async run(ctx) {
    const requests = pick(ctx, { quick: 300, full: 2_000 });
    const warmup = pick(ctx, { quick: 100, full: 300 });
    const sim = await startSimulators({ name: 'command', config: simulatorConfig(['dmm']) });
    try {
      const server = await startBenchtop({
        name: 'command',
        config: serverConfig({ ports: sim.ports, dmmPollMs: 1000 }),
        nodeArgs: ctx.nodeArgs('command-server'),
      });
      const p50: number[] = [];
      const p99: number[] = [];
      let max = 0;
      try {
        await waitAllReady(server.url, 30_000);
        for (let round = 0; round < ctx.rounds; round++) {
          const r = await runJson<PutLatency>(
            nodeBin,
            [benchScript('children/http-put-client.ts'), server.url, String(requests), String(warmup)],
            { timeoutMs: 300_000 },
          );
          p50.push(r.p50_ms);
          p99.push(r.p99_ms);
          max = Math.max(max, r.max_ms);
          ctx.log(
            `  round ${round + 1}/${ctx.rounds}: p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms`,
          );
        }
      } finally {
        await server.stop();
      }
      const note = `${ctx.rounds} rounds of ${requests} PUTs (after ${warmup} untimed), each a fresh client process; slowest single request ${max.toFixed(1)} ms`;
      return [
        makeResult({
          benchmark: 'command',
          metric: 'PUT signal round trip p50',
          unit: 'ms',
          ours: spread(p50),
          notes: [note],
        }),
        makeResult({
          benchmark: 'command',
          metric: 'PUT signal round trip p99',
          unit: 'ms',
          ours: spread(p99),
          targets: [{ kind: 'below', value: 5 }],
          notes: ['median of the rounds’ p99s (min–max over rounds)'],
        }),
      ];
    } finally {
      await sim.stop();
    }
  },
};
