import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CvxSimulatorServer } from '../../src/instruments/keyence/cvx-sim-server.ts';
import { percentile } from '../lib/stats.ts';

const CYCLE_MS = 250;
const SCAN_MS = 50;

function config(dir: string): string {
  return `
[server]
port = 0
[simulation]
enabled = true
[storage]
output_dir = "${dir}"
[[instruments]]
id = "line_plc"
type = "LogixPlc"
[instruments.config]
host = "192.168.1.20"
scan_ms = ${SCAN_MS}
[[instruments.config.tags]]
name = "Line.RunCmd"
type = "BOOL"
writable = true
[[instruments.config.tags]]
name = "Part.Completed"
type = "BOOL"
[[instruments.config.tags]]
name = "Part.Id"
type = "DINT"
[[instruments.config.tags]]
name = "Line.State"
type = "DINT"
[[instruments.config.tags]]
name = "Process.Pressure"
type = "REAL"
[[instruments]]
id = "vision"
type = "KeyenceCvx"
[instruments.config]
host = "192.168.1.30"
[[instruments.config.outputs]]
index = 0
name = "total"
kind = "judgement"
[[instruments.config.outputs]]
index = 1
name = "scratch_score"
kind = "score"
tool = "scratch"
`;
}

export interface PartToTrigger {
  n: number;
  p50: number;
  p99: number;
  max: number;
  cycleMs: number;
  scanMs: number;
}

/**
 * The vision line's tracking loop in the whole app (simulation mode): each `Part.Completed`
 * rising edge the LogixPlc driver publishes calls `vision.trigger`; the time is taken from
 * that reading on the bus to the CV-X simulator receiving `TA` on its command port (the
 * trigger on the wire). One inspection per part, as the line runs at a 250 ms cycle.
 */
export async function measurePartToTrigger(options: {
  parts: number;
  log: (message: string) => void;
}): Promise<PartToTrigger> {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-bench-logix-'));
  const bt = new Benchtop(loadBenchtopConfig({ text: config(dir), env: {} }), silentLogger());
  const line = bt.lab!.productionLine({ idealCycleMs: CYCLE_MS, completedPulseMs: CYCLE_MS / 2 });
  const latencies: number[] = [];
  try {
    await bt.start();
    const simulator = bt.instruments.simulator('vision');
    if (!(simulator instanceof CvxSimulatorServer)) throw new Error('no CV-X simulator');
    const cvx = simulator.cvx;
    const published: number[] = [];
    const handle = cvx.handle.bind(cvx);
    cvx.handle = (command, session) => {
      if (command === 'TA') {
        const since = published.shift();
        if (since !== undefined) latencies.push(performance.now() - since);
      }
      return handle(command, session);
    };
    const plc = bt.instruments.get('line_plc');
    const vision = bt.instruments.get('vision');
    let failures = 0;
    const done = new Promise<void>((resolve) => {
      bt.bus.on('instrument.reading', (r) => {
        if (r.instrument !== 'line_plc' || r.signal !== 'Part.Completed' || r.value !== true) return;
        published.push(performance.now());
        vision.call('trigger').then(
          () => {
            if (latencies.length + failures >= options.parts) resolve();
          },
          () => {
            failures++;
          },
        );
      });
    });
    await plc.write('Line.RunCmd', true);
    await done;
    await plc.write('Line.RunCmd', false);
    if (failures > 0) options.log(`  ${failures} triggers failed`);
  } finally {
    await bt.stop();
    line.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  options.log(`  part → trigger: ${latencies.length} parts, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    cycleMs: CYCLE_MS,
    scanMs: SCAN_MS,
  };
}
