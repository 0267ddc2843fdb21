/**
 * Benchmark "modbus", ours: the ModbusPlc driver (point table, merged read, pool, decoding)
 * reading 50 float32 points = 100 contiguous holding registers, one FC3 request per scan, one
 * scan at a time on one connection, against a simulator in another process.
 *
 *   node bench/children/modbus-driver-client.ts PORT SCANS WARMUP
 *
 * Prints {"requests_per_s", "n", "seconds", "cpu_us_per_request"} (user + system CPU of this process).
 */

import { systemClock } from '../../src/core/clock.ts';
import type { CallContext } from '../../src/core/device.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { modbusPlcKind } from '../../src/instruments/modbus/kind.ts';

const [port, scans, warmup] = process.argv.slice(2).map(Number) as [number, number, number];
const config = {
  host: '127.0.0.1',
  port,
  unit_id: 1,
  max_connections: 1,
  points: Array.from({ length: 50 }, (_, i) => ({
    name: `p${String(i).padStart(2, '0')}`,
    table: 'holding',
    address: 2 * i,
    type: 'float32',
  })),
};
const driver = modbusPlcKind.createDriver('plc', config, { clock: systemClock, log: silentLogger() });
const ctx: CallContext = {
  id: 'plc',
  clock: systemClock,
  log: silentLogger(),
  lifetime: new AbortController().signal,
  signal: new AbortController().signal,
  linkLost: (error) => {
    throw error;
  },
  publish: () => {},
};
await driver.connect(ctx);
// Each read of one point is a fresh scan of all 50 (one request): values are handed out once.
const scan = () => driver.signals.p00!.read!(ctx);
for (let i = 0; i < warmup; i++) await scan();
const started = performance.now();
const cpuStarted = process.cpuUsage();
for (let i = 0; i < scans; i++) await scan();
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
await driver.disconnect();
console.log(
  JSON.stringify({
    client: 'benchtop',
    n: scans,
    seconds,
    requests_per_s: scans / seconds,
    cpu_us_per_request: (cpu.user + cpu.system) / scans,
  }),
);
