/**
 * Benchmark "modbus", ours: the ModbusPlc driver (point table, merged read, pool, decoding)
 * scanning BLOCKS groups of 50 float32 points, each group 100 contiguous holding registers
 * 1000 addresses from the next (so each is one FC3 request of 100 registers), over a pool of
 * CONNECTIONS connections, one scan at a time, against a simulator in another process. A scan's
 * requests go out in parallel over the pool, as in any poll.
 *
 *   node bench/children/modbus-driver-client.ts PORT SCANS WARMUP [CONNECTIONS BLOCKS IN_FLIGHT]
 *
 * (default 1 1 1). IN_FLIGHT > 1 pipelines up to that many requests on each connection
 * (`max_in_flight`, matched by transaction id) and writes those made together in one go.
 *
 * Prints {"requests_per_s", "n" (requests), "seconds", "cpu_us_per_request"} (user + system CPU
 * of this process per request).
 */

import { systemClock } from '../../src/core/clock.ts';
import type { CallContext } from '../../src/core/device.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { modbusPlcKind } from '../../src/instruments/modbus/kind.ts';

const [port, scans, warmup, connections = 1, blocks = 1, inFlight = 1] = process.argv
  .slice(2)
  .map(Number) as number[] as [number, number, number, number?, number?, number?];
const config = {
  host: '127.0.0.1',
  port,
  unit_id: 1,
  max_connections: connections,
  max_in_flight: inFlight,
  points: Array.from({ length: 50 * blocks }, (_, i) => ({
    name: `p${String(i).padStart(3, '0')}`,
    table: 'holding',
    address: 1000 * Math.floor(i / 50) + 2 * (i % 50),
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
const requestsPerScan = (driver as unknown as { blocks: readonly unknown[] }).blocks.length;
if (requestsPerScan !== blocks)
  throw new Error(`expected ${blocks} requests per scan, planned ${requestsPerScan}`);
// Each read of one point is a fresh scan of them all (BLOCKS requests): values are handed out once.
const scan = () => driver.signals.p000!.read!(ctx);
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
    n: scans * blocks,
    seconds,
    requests_per_s: (scans * blocks) / seconds,
    cpu_us_per_request: (cpu.user + cpu.system) / (scans * blocks),
  }),
);
