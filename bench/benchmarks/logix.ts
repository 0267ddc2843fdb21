import { createRequire } from 'node:module';
import { EventBus } from '../../src/core/bus.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { spawnInstrument } from '../../src/core/testing/instrument-harness.ts';
import { loopbackAddressFor } from '../../src/instruments/logix/line-plc-simulator.ts';
import { LogixPlcDriver } from '../../src/instruments/logix/logix-plc-driver.ts';
import { BENCH_TAG_COUNT, benchTagName, benchTagType } from '../children/logix-tag-simulator.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { benchScript, ChildHandle, nodeBin } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';
import { measurePartToTrigger } from './logix-part-trigger.ts';

type StLibrary = typeof import('st-ethernet-ip');
const stLibrary = (): StLibrary => createRequire(import.meta.url)('st-ethernet-ip') as StLibrary;

const TYPE_CODES = { DINT: 0xc4, REAL: 0xca } as const;
const benchTags = Array.from({ length: BENCH_TAG_COUNT }, (_, i) => ({
  name: benchTagName(i),
  type: benchTagType(i),
  writable: false,
}));

/**
 * Ours: the LogixPlc driver in its actor behind the Instrument facade (as Benchtop runs it),
 * scanning the 200 tags as one group back to back (scan period 0, below the schema's 10 ms
 * floor, so the period never limits the rate); every tag changes on every read, so each scan
 * publishes 200 readings. Counted on the bus over `seconds`.
 */
async function oursGroupRate(host: string, seconds: number): Promise<number> {
  const bus = new EventBus<BenchtopEvents>();
  const driver = new LogixPlcDriver(
    'bench_plc',
    { host, slot: 0, connected: true, scan_ms: 0, timeout_ms: 5000, discover: false, tags: benchTags },
    { clock: systemClock, log: silentLogger() },
  );
  const spawned = await spawnInstrument({ id: 'bench_plc', driver, bus, spawnTimeoutMs: 20_000 });
  try {
    if (spawned.instrument.state !== 'ready') throw new Error(`bench_plc is ${spawned.instrument.state}`);
    // Past the first scans (every tag published after a connect anyway).
    await new Promise((resolve) => setTimeout(resolve, 300));
    let count = 0;
    const off = bus.on('instrument.reading', (r) => {
      if (r.instrument === 'bench_plc' && r.quality === 'good') count++;
    });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    off();
    return count / ((performance.now() - started) / 1000);
  } finally {
    await spawned.stop();
  }
}

/** The anchor: st-ethernet-ip's own tag group, read back to back on one connected session. */
async function libraryGroupRate(host: string, seconds: number): Promise<number> {
  const { Controller, Tag, TagGroup } = stLibrary();
  const plc = new Controller(true);
  plc.on('error', () => {});
  await plc.connect(host, 0, false);
  try {
    const group = new TagGroup();
    for (const t of benchTags) group.add(new Tag(t.name, undefined, TYPE_CODES[t.type]));
    const warm = performance.now();
    while (performance.now() - warm < 300) await plc.readTagGroup(group);
    let scans = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      await plc.readTagGroup(group);
      scans++;
    }
    return (scans * BENCH_TAG_COUNT) / ((performance.now() - started) / 1000);
  } finally {
    await plc.disconnect().catch(() => plc.destroy());
  }
}

/**
 * Benchmark `logix`, the vision line's two figures (issue 14):
 *   (a) tags read per second from the simulated Logix PLC (its own process) for a 200-tag
 *       group, through our LogixPlc driver and through st-ethernet-ip alone, rounds alternated;
 *   (b) p99 from `Part.Completed` rising (the reading the driver publishes) to the inspection
 *       trigger arriving at the CV-X (its simulator's command port), through the whole app.
 */
export const logixBenchmark: Benchmark = {
  name: 'logix',
  title: 'Logix PLC tag throughput and part-to-trigger latency',
  async run(ctx) {
    const seconds = pick(ctx, { quick: 2, full: 8 });
    const host = loopbackAddressFor('bench_logix');
    const sim = new ChildHandle(nodeBin, [benchScript('children/logix-tag-simulator.ts'), host]);
    let listening: string;
    try {
      const line = await sim.waitForLine((l) => l.startsWith('{'), 30_000, 'logix simulator');
      listening = (JSON.parse(line) as { host: string }).host;
    } catch (error) {
      await sim.stop(2_000);
      throw error;
    }
    let outcome: Awaited<ReturnType<typeof alternate>>;
    try {
      outcome = await alternate(
        ctx.rounds,
        [
          { name: 'benchtop', run: () => oursGroupRate(listening, seconds) },
          { name: 'st-ethernet-ip', run: () => libraryGroupRate(listening, seconds) },
        ],
        ctx.log,
      );
    } finally {
      await sim.stop(5_000);
    }
    const parts = pick(ctx, { quick: 60, full: 400 });
    const latency = await measurePartToTrigger({ parts, log: ctx.log });
    return [
      makeResult({
        benchmark: 'logix',
        metric: `tags read, ${BENCH_TAG_COUNT}-tag group (Multiple Service Packets)`,
        unit: 'tags/s',
        ours: outcome.benchtop!,
        anchors: { 'st-ethernet-ip': outcome['st-ethernet-ip']! },
        targets: [{ kind: 'ratio-at-least', anchor: 'st-ethernet-ip', ratio: 0.9 }],
        notes: [
          `${ctx.rounds} rounds of ${seconds} s each, alternated; simulator in its own process on ${listening}:44818`,
          'ours: LogixPlc driver in its actor, scan period 0 (back to back), readings counted on the bus; anchor: TagGroup read back to back',
        ],
      }),
      makeResult({
        benchmark: 'logix',
        metric: 'Part.Completed published → trigger (TA) on the CV-X wire, p99',
        unit: 'ms',
        ours: latency.p99,
        targets: [{ kind: 'below', value: 20 }],
        notes: [
          `${latency.n} parts (ideal cycle ${latency.cycleMs} ms, PLC scan ${latency.scanMs} ms), whole app in simulation; p50 ${latency.p50.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms`,
        ],
      }),
    ];
  },
};
