import { fanoutSignalPaths, serverConfig, simulatorConfig } from '../lib/bench-configs.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startBenchtop, startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, ChildHandle, nodeBin } from '../lib/child-process.ts';
import { waitAllReady } from '../lib/fanout-rig.ts';
import { type HistogramJson, LatencyHistogram } from '../lib/latency-histogram.ts';
import { makeResult } from '../lib/results.ts';
import { BenchSite } from '../lib/site-processes.ts';
import { spread } from '../lib/stats.ts';

interface WindowReply {
  t: 'window';
  histogram: HistogramJson;
  messages: number;
}

/** One WebSocket client on `url` for `seconds` (after a 2 s warm-up): the readings' acquisition → receipt latencies. */
async function measure(url: string, seconds: number): Promise<LatencyHistogram> {
  const client = new ChildHandle(
    nodeBin,
    [benchScript('children/ws-clients.ts'), url, '1', fanoutSignalPaths.join(','), '100'],
    { ipc: true },
  );
  try {
    await client.nextMessage<{ t: string }>((m) => m.t === 'ready', 30_000, 'ws client ready');
    const window = async () => {
      const reply = client.nextMessage<WindowReply>((m) => m.t === 'window', 30_000, 'ws client window');
      client.send({ t: 'window' });
      return LatencyHistogram.fromJSON((await reply).histogram);
    };
    await new Promise((r) => setTimeout(r, 2_000));
    await window();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return await window();
  } finally {
    client.send({ t: 'stop' });
    await client.stop(5_000);
  }
}

/**
 * Several machines, reading latency: a simulated DMM (its own `benchtop sim` process, real
 * SCPI over TCP) polled every 100 ms on `benchtop agent`; readings are batched onto NATS
 * (`[agent] reading_batch_ms`, default 10), taken by `benchtop hub` onto its bus and streamed
 * to a WebSocket client in another process, which takes acquisition stamp → receipt (one
 * machine, one clock). Anchor: the same DMM and client on one `benchtop start`. Rounds
 * alternate which goes first.
 */
export const siteLatencyBenchmark: Benchmark = {
  name: 'site-latency',
  title: 'Several machines: reading agent → hub → WebSocket',
  async run(ctx) {
    const seconds = pick(ctx, { quick: 8, full: 30 });
    const sim = await startSimulators({ name: 'site-latency', config: simulatorConfig(['dmm']) });
    const config = serverConfig({ ports: sim.ports, dmmPollMs: 100 });
    const p50 = { site: [] as number[], local: [] as number[] };
    const p99 = { site: [] as number[], local: [] as number[] };
    let messages = 0;
    try {
      const runSite = async () => {
        const site = await BenchSite.start({
          name: 'site-latency',
          machineConfig: config,
          agentNodeArgs: ctx.nodeArgs('site-latency-agent'),
          hubNodeArgs: ctx.nodeArgs('site-latency-hub'),
        });
        try {
          return await measure(site.hubUrl, seconds);
        } finally {
          await site.stop();
        }
      };
      const runLocal = async () => {
        const server = await startBenchtop({ name: 'site-latency-local', config });
        try {
          await waitAllReady(server.url, 30_000);
          return await measure(server.url, seconds);
        } finally {
          await server.stop();
        }
      };
      for (let round = 0; round < ctx.rounds; round++) {
        const order = round % 2 === 0 ? (['site', 'local'] as const) : (['local', 'site'] as const);
        for (const who of order) {
          const h = who === 'site' ? await runSite() : await runLocal();
          p50[who].push(h.percentile(50));
          p99[who].push(h.percentile(99));
          if (who === 'site') messages += h.count;
          ctx.log(
            `  round ${round + 1}/${ctx.rounds} ${who}: ${h.count} readings, p50 ${h.percentile(50).toFixed(1)} ms, p99 ${h.percentile(99).toFixed(1)} ms, max ${h.max.toFixed(1)} ms`,
          );
        }
      }
    } finally {
      await sim.stop();
    }
    const note = `5 DMM signals polled every 100 ms, one WebSocket client at up to 100 Hz per signal, ${seconds} s per round (after 2 s untimed), ${messages} readings through the site in all; histogram bins 0.1 ms`;
    return [
      makeResult({
        benchmark: 'site-latency',
        metric: 'reading latency agent → hub → WebSocket p50',
        unit: 'ms',
        ours: spread(p50.site),
        anchors: { 'one machine': spread(p50.local) },
        notes: [note],
      }),
      makeResult({
        benchmark: 'site-latency',
        metric: 'reading latency agent → hub → WebSocket p99',
        unit: 'ms',
        ours: spread(p99.site),
        anchors: { 'one machine': spread(p99.local) },
        targets: [{ kind: 'below', value: 20 }],
        notes: ['median of the rounds’ p99s (min–max over rounds)'],
      }),
    ];
  },
};
