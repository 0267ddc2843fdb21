import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startBenchtop, startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, ChildHandle, nodeBin } from '../lib/child-process.ts';
import { waitAllReady } from '../lib/fanout-rig.ts';
import { type HistogramJson, LatencyHistogram } from '../lib/latency-histogram.ts';
import { ProcessSampler } from '../lib/process-sampler.ts';
import { fetchMetrics, metricSum } from '../lib/prometheus-text.ts';
import { makeResult } from '../lib/results.ts';
import { TAG_SCALE_GROUP, tagScaleServerConfig, tagScaleSimulatorConfig } from '../lib/tag-scale-config.ts';

const PLCS = 100;
const POINTS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ClientsWindow {
  t: 'window';
  lateness: HistogramJson;
  cycles: number;
  messages: number;
  closed: number;
  errors: number;
}

/** Rows the log holds for deadlines in [from, to) (epoch ms): with a value, and stored as null. */
function loggedRows(dbPath: string, from: number, to: number): { valued: number; nulls: number } {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const row = db
      .prepare(
        'SELECT COUNT(value) AS valued, COUNT(*) - COUNT(value) AS nulls FROM samples WHERE time >= ? AND time < ?',
      )
      .get(from, to) as { valued: number; nulls: number };
    return { valued: Number(row.valued), nulls: Number(row.nulls) };
  } finally {
    db.close();
  }
}

/**
 * Tag scale (issue 13; the FUXA anchor, issue #1642: 100 PLCs × 200 tags gave 6 s delays):
 * 100 simulated Modbus PLCs (plain register banks, one `benchtop sim` process, 100 ports) ×
 * 200 float32 points, all polled every second by one Benchtop, every point logged by one 1 s
 * `[[logging.groups]]` group into SQLite, with 100 WebSocket clients (one process) each
 * subscribed to one PLC's 200 points.
 *
 * Poll-cycle lateness is observed by the clients (see children/tag-scale-clients.ts). Missing
 * samples: the log's rows with a value, against 20 000 per whole-second deadline of the
 * measured window, counted in the SQLite file after the logger has had time to write them.
 */
export const tagScaleBenchmark: Benchmark = {
  name: 'tagscale',
  title: 'Tag scale: 100 Modbus PLCs × 200 points polled and logged every second',
  async run(ctx) {
    const warmupS = pick(ctx, { quick: 10, full: 20 });
    const seconds = pick(ctx, { quick: 30, full: 300 });
    const sim = await startSimulators({ name: 'tagscale', config: tagScaleSimulatorConfig(PLCS) });
    let server: Awaited<ReturnType<typeof startBenchtop>> | null = null;
    let clients: ChildHandle | null = null;
    try {
      server = await startBenchtop({
        name: 'tagscale',
        config: tagScaleServerConfig(sim.ports, PLCS, POINTS),
        nodeArgs: ctx.nodeArgs('tagscale-server'),
        readyTimeoutMs: 120_000,
      });
      await waitAllReady(server.url, 60_000, 200);
      ctx.log(
        `  server ${server.url} (pid ${server.child.pid}): ${PLCS} PLCs ready; connecting ${PLCS} clients`,
      );
      clients = new ChildHandle(
        nodeBin,
        [benchScript('children/tag-scale-clients.ts'), server.url, String(PLCS), String(POINTS)],
        { ipc: true },
      );
      await clients.nextMessage<{ t: string }>((m) => m.t === 'ready', 120_000, 'tag-scale clients ready');
      const window = async (): Promise<ClientsWindow> => {
        const reply = clients!.nextMessage<ClientsWindow>((m) => m.t === 'window', 60_000, 'clients window');
        clients!.send({ t: 'window' });
        return reply;
      };
      const cpu = new ProcessSampler(server.child.pid).start(1_000);
      await sleep(warmupS * 1000);
      await window(); // discard the warm-up
      const before = await fetchMetrics(server.url);
      const from = Math.ceil(Date.now() / 1000) * 1000;
      const measureFrom = cpu.samples.at(-1)!.t;
      await sleep(seconds * 1000);
      const to = Math.floor(Date.now() / 1000) * 1000;
      const measureTo = cpu.samples.at(-1)!.t;
      const observed = await window();
      const after = await fetchMetrics(server.url);
      cpu.stop();
      // The logger writes behind the ticks (a 20 000-signal SQLite log gathers 5 s of ticks per
      // write): give the last deadlines time to land.
      await sleep(12_000);
      const dbPath = join(server.dir, 'data', 'timeseries.sqlite');
      if (!existsSync(dbPath)) throw new Error(`no parameter log at ${dbPath}`);
      const rows = loggedRows(dbPath, from, to);
      const deadlines = (to - from) / 1000;
      const expected = deadlines * PLCS * POINTS;
      const missing = expected - rows.valued;

      const lateness = LatencyHistogram.fromJSON(observed.lateness);
      const cores = cpu.cpuCores(measureFrom, measureTo);
      const delta = (name: string, labels?: Record<string, string>) =>
        metricSum(after, name, labels) - metricSum(before, name, labels);
      const ticks = delta('benchtop_parameter_log_lateness_seconds_count', { group: TAG_SCALE_GROUP });
      const ticksWithin100 = delta('benchtop_parameter_log_lateness_seconds_bucket', {
        group: TAG_SCALE_GROUP,
        le: '0.1',
      });
      const dropped = delta('benchtop_websocket_dropped_total');
      // Why samples or cycles went missing, when they did: the log's own drops, link faults.
      const logDropped = delta('benchtop_storage_dropped_total', { writer: 'parameter_log' });
      const linkErrors = delta('benchtop_modbus_errors_total', { exception: 'link' });
      // The logger's own count of samples it stored as null (a read refused or failed).
      const invalid = delta('benchtop_parameter_log_invalid_samples_total', { group: TAG_SCALE_GROUP });
      // Reads through the actors: in this plant only the logger's own, of signals whose poll was
      // stale at its tick. Refused ones (a full mailbox, an actor down) are the errors.
      const ownReads = delta('benchtop_command_duration_seconds_count', { op: 'read' });
      const ownReadsFailed = delta('benchtop_command_duration_seconds_count', {
        op: 'read',
        outcome: 'error',
      });
      ctx.log(
        `  parameter log: ${invalid} invalid samples in the window, ${rows.nulls} null rows in the file; ${ownReads} own reads, ${ownReadsFailed} failed`,
      );
      const expectedCycles = PLCS * seconds;
      const common = `${PLCS} PLCs × ${POINTS} float32 points (4 FC3 requests per PLC per cycle), ${seconds} s after ${warmupS} s warm-up`;
      return [
        makeResult({
          benchmark: 'tagscale',
          metric: 'poll-cycle lateness p99',
          unit: 'ms',
          ours:
            lateness.count > 0
              ? lateness.percentile(99)
              : { missing: 'the clients saw no complete poll cycle' },
          targets: [{ kind: 'below', value: 100 }],
          notes: [
            `${common}; a cycle's completion (its last point's reading timestamp) against the 1 s deadline grid, relative to that PLC's earliest-completing cycle`,
            `${lateness.count} cycles seen of about ${expectedCycles}; p50 ${lateness.count ? lateness.percentile(50).toFixed(1) : 'n/a'} ms, max ${lateness.count ? lateness.max.toFixed(0) : 'n/a'} ms`,
            `logger ticks: ${ticks}, ${ticks - ticksWithin100} started later than 100 ms after their deadline`,
          ],
        }),
        makeResult({
          benchmark: 'tagscale',
          metric: 'samples missing in the log',
          unit: 'samples',
          ours: missing,
          targets: [{ kind: 'at-most', value: 0 }],
          notes: [
            `${deadlines} deadlines × ${PLCS * POINTS} signals = ${expected} expected; ${rows.valued} rows with a value, ${rows.nulls} stored as null (invalid)`,
            `in the window: ${invalid} samples the logger counted invalid (benchtop_parameter_log_invalid_samples_total) after ${ownReads} reads of its own (${ownReadsFailed} failed), ${logDropped} samples dropped by the parameter log (queue full or write failed), ${linkErrors} Modbus requests failed on the link (timeout, connection lost)`,
          ],
        }),
        makeResult({
          benchmark: 'tagscale',
          metric: 'server CPU (100 % = one core)',
          unit: '%',
          ours: cores === null ? { missing: 'too few CPU samples' } : cores * 100,
          targets: [{ kind: 'below', value: 100 }],
          notes: [
            `${observed.messages} readings to ${PLCS} clients (${(observed.messages / seconds).toFixed(0)}/s), ${dropped} skipped for slow clients, ${observed.closed} clients disconnected`,
          ],
        }),
      ];
    } finally {
      if (clients) {
        clients.send({ t: 'stop' });
        await clients.stop(5_000);
      }
      await server?.stop();
      await sim.stop();
    }
  },
};
