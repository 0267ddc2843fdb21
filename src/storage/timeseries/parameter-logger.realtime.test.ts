import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { ParameterLogger, type TickReport } from './parameter-logger.ts';
import { SqliteTimeSeriesStore } from './sqlite-timeseries-store.ts';

const TICKS = 60;
const SIGNALS = [
  'ald.chamber_pressure',
  'ald.heater_temp',
  'ald.precursor_flow',
  'ald.valve_1',
  'ald.valve_2',
];

/** Keeps the event loop busy: a few ms of work every 20 ms, and a 200 ms burst every 3 s. */
function loadEventLoop(): () => void {
  let n = 0;
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    return x;
  };
  const timer = setInterval(() => {
    n += 1;
    busy(n % 150 === 0 ? 200 : 2 + (n % 7));
  }, 20);
  return () => clearInterval(timer);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// Real time on purpose (the issue asks for it): 60 ticks of a 1 s group take about a minute.
it('interval accuracy over a minute under load', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-realtime-'));
  const store = SqliteTimeSeriesStore.inOutputDir(dir);
  const ticks: TickReport[] = [];
  let done!: () => void;
  const sixty = new Promise<void>((resolve) => {
    done = resolve;
  });
  const logger = new ParameterLogger({
    groups: [{ name: 'ald', signals: SIGNALS, interval_s: 1 }],
    clock: systemClock,
    store,
    // An instrument read that answers on a later turn of the event loop, like a socket reply.
    sample: (signals) =>
      new Promise((resolve) =>
        setImmediate(() =>
          resolve(signals.map((signal, i) => ({ signal, value: i + Math.random(), timestamp: Date.now() }))),
        ),
      ),
    onTick: (tick) => {
      ticks.push(tick);
      if (ticks.length === TICKS) done();
    },
  });
  const stopLoad = loadEventLoop();
  try {
    logger.start();
    await sixty;
  } finally {
    stopLoad();
    await logger.stop();
  }

  const first = ticks[0]!.deadline;
  const series = await store.query({
    signals: SIGNALS,
    from: first,
    to: first + TICKS * 1000,
    buckets: TICKS,
  });
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  const lateness = ticks.slice(0, TICKS).map((tick) => tick.latenessMs);
  const intervals = ticks.slice(1, TICKS).map((tick) => tick.intervalMs!);
  const sorted = [...lateness].sort((a, b) => a - b);
  t.diagnostic(
    `lateness ms: median ${percentile(sorted, 50).toFixed(1)}, p95 ${percentile(sorted, 95).toFixed(1)}, ` +
      `max ${sorted.at(-1)!.toFixed(1)}; actual interval ms: min ${Math.min(...intervals).toFixed(1)}, ` +
      `max ${Math.max(...intervals).toFixed(1)}`,
  );

  const expected = Array.from({ length: TICKS }, (_, i) => first + i * 1000);
  assert.deepEqual(
    ticks.slice(0, TICKS).map((tick) => tick.deadline),
    expected,
  );
  assert.ok(ticks.every((tick) => tick.skipped === 0));
  for (const s of series) {
    assert.equal(s.kind, 'raw', s.signal);
    assert.deepEqual(s.kind === 'raw' && s.points.map((p) => p.time), expected, s.signal);
  }
  const [stats] = logger.stats();
  assert.equal(stats!.skipped, 0);
  assert.equal(stats!.dropped, 0);
  assert.equal(stats!.errors, 0);
});
