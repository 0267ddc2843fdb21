/**
 * The vision line's simulators in a process of their own, as a real PLC and camera are
 * machines of their own: the LogixPlc simulator (EtherNet/IP, port 44818 of its loopback
 * address) and the KeyenceCvx simulator (TCP command port) on one production line model.
 *
 *   node bench/children/vision-line-simulators.ts CONFIG_FILE CYCLE_MS CAMERA_MS
 *
 * Prints {"endpoints": {id: {host, port}}} once listening, then one line per part the line
 * makes, {"part": id, "at": epoch ms (sub-ms)}, so the benchmark can time event → write-back
 * across the two processes (one system clock). Exits when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { instrumentCatalog } from '../../src/instruments/catalog.ts';
import { CvxSimulatorServer } from '../../src/instruments/keyence/cvx-sim-server.ts';
import { VirtualLab } from '../../src/sim/virtual-lab.ts';

const [file, cycleArg, cameraArg] = process.argv.slice(2);
const cycleMs = Number(cycleArg);
const cameraMs = Number(cameraArg);
const config = loadBenchtopConfig({ text: readFileSync(file!, 'utf8'), env: {} }).config;
const lab = new VirtualLab({
  clock: systemClock,
  seed: config.simulation.seed,
  beamWaistMm: config.simulation.beam_waist_mm,
  knifeEdgeMm: config.simulation.knife_edge_mm,
  warmupS: config.simulation.warmup_s,
});
// First caller's options win: both simulators share this line. No jitter: the offered rate is
// exactly 1000 / cycle, the Part.Completed pulse half the cycle.
const line = lab.productionLine({ idealCycleMs: cycleMs, completedPulseMs: cycleMs / 2, jitter: 0 });
const servers: { close(): Promise<void> }[] = [];
const endpoints: Record<string, { host: string; port: number }> = {};
for (const entry of config.instruments) {
  const kind = instrumentCatalog.kinds[entry.type];
  if (!kind?.createSimulator || !['LogixPlc', 'KeyenceCvx'].includes(entry.type)) continue;
  const simulator = kind.createSimulator(entry.id, entry.config, lab);
  if (simulator instanceof CvxSimulatorServer) {
    // The program the configured outputs run as (SD1 000), with this processing time.
    const program = simulator.cvx.programs['1:000']!;
    simulator.cvx.programs['1:000'] = { ...program, processingMs: cameraMs };
  }
  endpoints[entry.id] = await simulator.listen(0, '127.0.0.1');
  servers.push(simulator);
}
const now = () => performance.timeOrigin + performance.now();
line.onPartCompleted((part) => process.stdout.write(`${JSON.stringify({ part: part.id, at: now() })}\n`));
process.stdout.write(`${JSON.stringify({ endpoints })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  for (const s of servers) await s.close();
  line.dispose();
  process.exit(0);
});
