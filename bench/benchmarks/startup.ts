import { readFileSync } from 'node:fs';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startBenchtop } from '../lib/benchtop-process.ts';
import { repoRoot } from '../lib/child-process.ts';
import { FanoutRig, waitAllReady } from '../lib/fanout-rig.ts';
import { ProcessSampler, rssBytes } from '../lib/process-sampler.ts';
import { makeResult } from '../lib/results.ts';
import { median, spread } from '../lib/stats.ts';

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawn → every instrument ready, then RSS after an idle pause: one round. */
async function startRound(ctx: Parameters<Benchmark['run']>[0], idleS: number) {
  const config = readFileSync(`${repoRoot}config/default.toml`, 'utf8');
  const server = await startBenchtop({ name: 'startup', config, nodeArgs: ctx.nodeArgs('startup-server') });
  try {
    await waitAllReady(server.url, 30_000, 5);
    const readyS = (performance.now() - server.spawnedAt) / 1000;
    const listeningS = (server.readyAt - server.spawnedAt) / 1000;
    const sampler = new ProcessSampler(server.child.pid).start(500);
    await sleep(idleS * 1000);
    sampler.stop();
    const idle = median(sampler.between(idleS / 2, idleS + 1).map((s) => s.rssBytes)) / MiB;
    return { readyS, listeningS, idleMiB: idle };
  } finally {
    await server.stop();
  }
}

/** RSS just after start and at the end of `idleS` idle seconds (medians of 1 s samples over 10 s). */
async function longIdleRound(ctx: Parameters<Benchmark['run']>[0], idleS: number) {
  const config = readFileSync(`${repoRoot}config/default.toml`, 'utf8');
  const server = await startBenchtop({ name: 'idle', config, nodeArgs: ctx.nodeArgs('idle-server') });
  try {
    await waitAllReady(server.url, 30_000, 5);
    const sampler = new ProcessSampler(server.child.pid).start(1_000);
    await sleep(idleS * 1000);
    sampler.stop();
    const at = (from: number, to: number) => median(sampler.between(from, to).map((s) => s.rssBytes)) / MiB;
    return { startMiB: at(0, 10), endMiB: at(idleS - 10, idleS + 1) };
  } finally {
    await server.stop();
  }
}

/**
 * 7. Start-up and footprint. `benchtop start` with config/default.toml (the five simulated
 * instruments, simulators in-process as `npm start` runs them): spawn → `GET /api/v1/instruments`
 * says every instrument is ready (polled every 5 ms once the server listens), then RSS after
 * an idle pause, and again after 10 minutes idle. Then the fan-out load of benchmark 3 for 10 minutes: RSS growth from just
 * after warm-up to the end (medians of 1 s samples over the first and last tenth).
 */
export const startupBenchmark: Benchmark = {
  name: 'startup',
  title: 'Start-up and footprint',
  async run(ctx) {
    const idleS = pick(ctx, { quick: 5, full: 15 });
    const rounds = [];
    for (let round = 0; round < ctx.rounds; round++) {
      const r = await startRound(ctx, idleS);
      rounds.push(r);
      ctx.log(
        `  round ${round + 1}/${ctx.rounds}: all ready ${r.readyS.toFixed(2)} s (listening ${r.listeningS.toFixed(2)} s), idle RSS ${r.idleMiB.toFixed(0)} MiB`,
      );
    }

    // Idle for a long while (pollers running, no clients): the footprint must not creep back.
    const longIdleS = pick(ctx, { quick: 60, full: 600 });
    ctx.log(`  idle RSS over ${longIdleS} s`);
    const longIdle = await longIdleRound(ctx, longIdleS);
    ctx.log(
      `  idle RSS ${longIdle.startMiB.toFixed(0)} MiB after start, ${longIdle.endMiB.toFixed(0)} MiB after ${longIdleS} s`,
    );

    const growthS = pick(ctx, { quick: 60, full: 600 });
    const warmupS = pick(ctx, { quick: 10, full: 60 });
    ctx.log(`  RSS under the fan-out load for ${growthS} s`);
    const rig = await FanoutRig.start({ name: 'footprint', clients: 1000, generators: 2, log: ctx.log });
    let growth: { startMiB: number; endMiB: number; maxMiB: number; percent: number; closed: number };
    try {
      const sampler = new ProcessSampler(rig.server.child.pid).start(1_000);
      await rig.window();
      const startedRss = rssBytes(rig.server.child.pid) / MiB;
      ctx.log(`  RSS with 1000 clients connected: ${startedRss.toFixed(0)} MiB; warm-up ${warmupS} s`);
      await sleep(growthS * 1000);
      sampler.stop();
      const tenth = (growthS - warmupS) / 10;
      const startMiB = median(sampler.between(warmupS, warmupS + tenth).map((s) => s.rssBytes)) / MiB;
      const endMiB = median(sampler.between(growthS - tenth, growthS + 1).map((s) => s.rssBytes)) / MiB;
      const maxMiB = Math.max(...sampler.samples.map((s) => s.rssBytes)) / MiB;
      const { closed } = await rig.window();
      growth = { startMiB, endMiB, maxMiB, percent: ((endMiB - startMiB) / startMiB) * 100, closed };
    } finally {
      await rig.stop();
    }

    return [
      makeResult({
        benchmark: 'startup',
        metric: 'benchtop start → all five simulated instruments ready',
        unit: 's',
        ours: spread(rounds.map((r) => r.readyS)),
        targets: [{ kind: 'below', value: 1.5 }],
        notes: [
          `includes Node start-up and loading the TypeScript sources; the server listened after ${median(rounds.map((r) => r.listeningS)).toFixed(2)} s (median)`,
        ],
      }),
      makeResult({
        benchmark: 'startup',
        metric: 'idle RSS, five simulated instruments',
        unit: 'MiB',
        ours: spread(rounds.map((r) => r.idleMiB)),
        targets: [{ kind: 'below', value: 150 }],
        notes: [
          `median of 0.5 s samples over the last half of ${idleS} s idle after start; simulators run in the same process`,
        ],
      }),
      makeResult({
        benchmark: 'startup',
        metric: `idle RSS after ${longIdleS / 60} min idle, five simulated instruments`,
        unit: 'MiB',
        ours: longIdle.endMiB,
        targets: [{ kind: 'below', value: 150 }],
        notes: [
          `${longIdle.startMiB.toFixed(1)} MiB in the first 10 s after all ready → ${longIdle.endMiB.toFixed(1)} MiB in the last 10 s (medians of 1 s samples); pollers running, no clients`,
        ],
      }),
      makeResult({
        benchmark: 'startup',
        metric: `RSS growth over ${growthS / 60} min of the fan-out load`,
        unit: '%',
        ours: growth.percent,
        targets: [{ kind: 'below', value: 5 }],
        notes: [
          `${growth.startMiB.toFixed(1)} MiB after ${warmupS} s warm-up → ${growth.endMiB.toFixed(1)} MiB at the end (medians over a tenth of the run each); peak ${growth.maxMiB.toFixed(1)} MiB; ${growth.closed} clients disconnected`,
        ],
      }),
    ];
  },
};
