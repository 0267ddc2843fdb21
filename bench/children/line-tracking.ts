/**
 * The line tracking path end to end: part event → part fields read → inspection → judgement →
 * part and defects stored → result written back, one part after another as fast as the path
 * allows, into PostgreSQL (a database of this process's own, dropped afterwards) or SQLite.
 *
 *   node bench/children/line-tracking.ts postgres URL PARTS
 *   node bench/children/line-tracking.ts sqlite DIR PARTS
 *
 * The PLC and camera are the in-process fakes answering on the next event-loop turn, so the
 * figure is Benchtop's own path and its store: the anchor beside the run on the simulators
 * (line-tracking-simulators.ts). Prints {"parts_per_s", "p50_ms", "p99_ms", …}: throughput counts until
 * the last part is stored; latency is event → result written back.
 */
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../../src/core/clock.ts';
import type { StationVision, VisionResult } from '../../src/production/line-interfaces.ts';
import { LineTracker } from '../../src/production/line-tracker.ts';
import type { LineStore } from '../../src/production/store/line-store.ts';
import { LineWriteQueue } from '../../src/production/store/line-write-queue.ts';
import { PostgresLineStore } from '../../src/production/store/postgres-line-store.ts';
import { SqliteLineStore } from '../../src/production/store/sqlite-line-store.ts';
import { FakeLinePlc } from '../../src/production/testing/fake-line-plc.ts';
import { testLineConfig } from '../../src/production/testing/line-test-config.ts';

const [backend, where, partsArg] = process.argv.slice(2);
const total = Number(partsArg);
const database = `bench_line_${process.pid}`;

/** A camera that answers each trigger on the next turn, 5 % scratched. */
class ImmediateVision implements StationVision {
  private n = 0;
  inspect(): Promise<VisionResult> {
    const scratched = this.n++ % 20 === 0;
    const fields = {
      judgement: scratched ? 1 : 0,
      scratch_score: scratched ? 0.9 : 0.1,
      dent_score: 0.05,
      scratch_x: 5,
      scratch_y: 7,
      width_mm: 10,
    };
    return new Promise((resolve) => setImmediate(() => resolve({ fields })));
  }
}

let store: LineStore;
let dbUrl: string | undefined;
if (backend === 'postgres') {
  const admin = new pg.Client({ connectionString: where });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = new URL(where!);
  url.pathname = `/${database}`;
  dbUrl = url.toString();
  store = await PostgresLineStore.open({ url: dbUrl, timescaledb: 'auto', retentionDays: 0 });
} else if (backend === 'sqlite') store = new SqliteLineStore(join(where!, 'production.sqlite'));
else throw new Error(`backend must be postgres or sqlite; got ${backend}`);

try {
  const line = testLineConfig();
  const plc = new FakeLinePlc(systemClock, {
    'Line.State': 1,
    'Part.Completed': false,
    'Part.Id': '',
    'Part.Sku': '',
  });
  const queue = new LineWriteQueue({ store, clock: systemClock, capacity: 1_000_000, retryMs: 1000 });
  const latencies: number[] = [];
  let done: (() => void) | undefined;
  const tracker = new LineTracker({
    line,
    plc,
    vision: { station01: new ImmediateVision() },
    store,
    queue,
    clock: systemClock,
    onTracked: (t) => {
      latencies.push(t.latencyMs);
      done?.();
    },
  });
  await tracker.start();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const tracked = new Promise<void>((resolve) => {
      done = resolve;
    });
    plc.completePart({ 'Part.Id': `B${i}`, 'Part.Sku': 'SKU-1' });
    await tracked;
  }
  await queue.flush();
  const seconds = (performance.now() - started) / 1000;
  await tracker.stop();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const stored = (await store.parts({ lineId: line.id, from: 0, to: Number.MAX_SAFE_INTEGER })).length;
  console.log(
    JSON.stringify({
      backend: store.kind,
      parts: total,
      stored,
      writes: queue.stats.writtenRecords,
      seconds,
      parts_per_s: total / seconds,
      p50_ms: at(50),
      p99_ms: at(99),
      max_ms: sorted.at(-1),
    }),
  );
} finally {
  await store.close();
  if (dbUrl) {
    const admin = new pg.Client({ connectionString: where });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}
