/**
 * The vision line tracked end to end on its simulators, over their real protocols: the whole
 * app (simulation mode, config/vision-line.toml) with the LogixPlc simulator on EtherNet/IP
 * (port 44818 of its own loopback address), the KeyenceCvx simulator on its TCP command port,
 * and the line store in PostgreSQL (a database of this process's own, dropped afterwards).
 * The simulated line makes a part every CYCLE_MS; Benchtop sees each step of Part.Counter (the
 * shipped config's part_event) in its tag scan (SCAN_MS), reads the part's tags, triggers the CV-X, judges, queues the part
 * and its defects for PostgreSQL and writes Quality.Result back.
 *
 *   node bench/children/line-tracking-simulators.ts POSTGRES_URL PARTS CYCLE_MS SCAN_MS CAMERA_MS [MODE]
 *
 * MODE `separate` (default) runs the simulators in a process of their own
 * (vision-line-simulators.ts), as a PLC and a camera are machines of their own, and Benchtop
 * with simulation off connects to them like to the real line; `in-process` is the app's own
 * simulation mode (simulators on Benchtop's event loop, competing with it for one core).
 *
 * CAMERA_MS is the CV-X program's processing time (trigger → result line; the simulator's
 * default program takes 25 ms, which alone caps one station at 40 inspections/s).
 *
 * Prints one JSON object:
 *   offered_per_s     parts per second the line made (1000 / cycle)
 *   parts_per_s       parts tracked (written back) per second while the line ran
 *   stored            parts found in PostgreSQL after the queue was flushed (must equal tracked)
 *   e2e_p50/p99_ms    Part.Completed rising in the simulated PLC → Quality.Result write
 *                     acknowledged (includes waiting for the scan to see the edge)
 *   path_p50/p99_ms   the tracker's own part: edge seen on the bus → write-back acknowledged
 *   scan_wait_p99_ms  edge in the PLC → edge seen by the tracker
 *   missed            parts the PLC counted that the scan never saw step (Part.Counter jumps)
 *   queue_high_water  most records waiting for PostgreSQL at once
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CvxSimulatorServer } from '../../src/instruments/keyence/cvx-sim-server.ts';
import { percentile } from '../lib/stats.ts';

const [where, partsArg, cycleArg, scanArg, cameraArg, modeArg] = process.argv.slice(2);
const mode = modeArg ?? 'separate';
const cameraMs = Number(cameraArg ?? 25);
const total = Number(partsArg);
const cycleMs = Number(cycleArg);
const scanMs = Number(scanArg);
const database = `bench_line_sim_${process.pid}`;
const plcId = `bench_plc_${process.pid}`;

const admin = new pg.Client({ connectionString: where });
await admin.connect();
await admin.query(`CREATE DATABASE "${database}"`);
await admin.end();
const url = new URL(where!);
url.pathname = `/${database}`;
const dir = mkdtempSync(join(tmpdir(), 'benchtop-bench-line-'));

// The shipped vision line, made fast: the PLC instrument renamed (its loopback address is
// hashed from the id, so a parallel run elsewhere on the machine does not collide), the CV-X on
// a free port, the scan and the line's ideal cycle set, the store in PostgreSQL.
const text = `${readFileSync(new URL('../../config/vision-line.toml', import.meta.url), 'utf8')
  .replaceAll('"line_plc"', `"${plcId}"`)
  .replaceAll('line_plc.', `${plcId}.`)
  .replace(/^vision = 8500.*$/m, '')
  .replace(/^scan_ms = 100/m, `scan_ms = ${scanMs}`)
  .replace(/^ideal_cycle_ms = 6000/m, `ideal_cycle_ms = ${cycleMs}`)
  .replace('output_dir = "./data"', `output_dir = "${dir}"`)}
[storage.postgres]
url = "${url.toString()}"
timescaledb = "auto"
`;

const now = () => performance.timeOrigin + performance.now();
const completedAt = new Map<string, number>();
let bt: Benchtop;
let line: ReturnType<NonNullable<Benchtop['lab']>['productionLine']> | undefined;
let stopSimulators = async () => {};
if (mode === 'separate') {
  const file = join(dir, 'vision-line.toml');
  writeFileSync(file, text);
  const sims = spawn(
    process.execPath,
    [
      new URL('./vision-line-simulators.ts', import.meta.url).pathname,
      file,
      String(cycleMs),
      String(cameraMs),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: sims.stdout! });
  const endpoints = await new Promise<Record<string, { host: string; port: number }>>((resolve, reject) => {
    sims.once('exit', (code) => reject(new Error(`simulators exited (${code})`)));
    lines.on('line', (l) => {
      const m = JSON.parse(l) as {
        endpoints?: Record<string, { host: string; port: number }>;
        part?: number;
        at?: number;
      };
      if (m.endpoints) resolve(m.endpoints);
      else if (m.part !== undefined) completedAt.set(String(m.part), m.at!);
    });
  });
  stopSimulators = async () => {
    const exited = new Promise((resolve) => sims.once('exit', resolve));
    sims.stdin!.end();
    await exited;
  };
  const plc = endpoints[plcId]!;
  const cvx = endpoints.vision!;
  // The real line's configuration, pointed at the simulators' addresses.
  const real = text
    .replace(/^\[simulation\]\nenabled = true/m, '[simulation]\nenabled = false')
    .replace('host = "192.168.1.20"', `host = "${plc.host}"`)
    .replace('host = "192.168.1.30"\nport = 8500', `host = "${cvx.host}"\nport = ${cvx.port}`);
  bt = new Benchtop(loadBenchtopConfig({ text: real, env: {} }), silentLogger());
} else {
  bt = new Benchtop(loadBenchtopConfig({ text, env: {} }), silentLogger());
  // First caller's options win: the PLC and CV-X simulators share this line. No jitter, so the
  // offered rate is exactly 1000 / cycle; the pulse is half the cycle.
  line = bt.lab!.productionLine({ idealCycleMs: cycleMs, completedPulseMs: cycleMs / 2, jitter: 0 });
}
const seenAt = new Map<string, number>();
const e2e: number[] = [];
const path: number[] = [];
const scanWait: number[] = [];
let tracked = 0;
let firstAt = 0;
let lastAt = 0;
try {
  await bt.start();
  if (line) {
    const camera = bt.instruments.simulator('vision');
    if (!(camera instanceof CvxSimulatorServer)) throw new Error('no CV-X simulator');
    // The program the line's outputs run as (SD1 000), with this processing time.
    const program = camera.cvx.programs['1:000']!;
    camera.cvx.programs['1:000'] = { ...program, processingMs: cameraMs };
    line.onPartCompleted((part) => completedAt.set(String(part.id), now()));
  }
  const done = new Promise<void>((resolve) => {
    bt.bus.on('instrument.reading', (r) => {
      if (r.instrument === plcId && r.signal === 'Part.Id' && r.quality === 'good')
        seenAt.set(String(r.value), now());
    });
    bt.bus.on('line.part', ({ part, latencyMs, resultWritten }) => {
      const at = now();
      const made = completedAt.get(part.partId);
      completedAt.delete(part.partId);
      if (resultWritten === null) return;
      tracked++;
      if (tracked === 1) firstAt = at;
      lastAt = at;
      path.push(latencyMs);
      if (made !== undefined) {
        e2e.push(at - made);
        const seen = seenAt.get(part.partId);
        if (seen !== undefined) scanWait.push(Math.max(0, seen - made));
      }
      if (tracked >= total) resolve();
    });
  });
  const plc = bt.instruments.get(plcId);
  const load0 = process.cpuUsage();
  const wall0 = performance.now();
  await plc.write('Line.RunCmd', true);
  await done;
  await plc.write('Line.RunCmd', false);
  const cpu = process.cpuUsage(load0);
  const wallS = (performance.now() - wall0) / 1000;
  const production = bt.production!;
  await production.queue.flush();
  const stats = production.trackers[0]!.stats;
  const queue = production.queue.stats;
  const stored = (await production.store.parts({ lineId: 'assembly1', from: 0, to: Number.MAX_SAFE_INTEGER }))
    .length;
  console.log(
    JSON.stringify({
      backend: production.store.kind,
      cycle_ms: cycleMs,
      scan_ms: scanMs,
      camera_ms: cameraMs,
      simulators: mode,
      offered_per_s: 1000 / cycleMs,
      parts: tracked,
      stored,
      // from the first write-back to the last: the rate the path kept up with
      parts_per_s: (tracked - 1) / ((lastAt - firstAt) / 1000),
      e2e_p50_ms: percentile(e2e, 50),
      e2e_p99_ms: percentile(e2e, 99),
      e2e_max_ms: Math.max(...e2e),
      path_p50_ms: percentile(path, 50),
      path_p99_ms: percentile(path, 99),
      scan_wait_p99_ms: percentile(scanWait, 99),
      missed: stats.missedParts,
      unread: stats.unreadParts,
      pending: stats.pending,
      write_back_failures: stats.writeBackFailures,
      queue_high_water: queue.highWater,
      process_cpu_pct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    }),
  );
} finally {
  await bt.stop();
  line?.dispose();
  await stopSimulators();
  rmSync(dir, { recursive: true, force: true });
  const cleanup = new pg.Client({ connectionString: where });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await cleanup.end();
}
