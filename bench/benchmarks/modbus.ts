import { spawnSync } from 'node:child_process';
import { stringify } from 'smol-toml';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';
import { spread } from '../lib/stats.ts';

interface RequestRate {
  requests_per_s: number;
  /** The client process's user + system CPU per request: what the client itself costs, less sensitive to a busy machine than the rate. */
  cpu_us_per_request: number;
}

function pymodbusMissing(): string | null {
  const probe = spawnSync(python, ['-c', 'import pymodbus.client'], { stdio: 'ignore' });
  return probe.status === 0 ? null : 'pymodbus not installed (apt-get install python3-pymodbus)';
}

/** The driver's pipelined scan: this many blocks of 100 registers, all in flight on one connection. */
const PIPELINE = 4;

/**
 * Modbus reads (issue 13): 100 holding registers per request against a register-bank
 * simulator in its own process (`benchtop sim`), our ModbusPlc driver against pymodbus's
 * synchronous client (the guide's), rounds alternating.
 *
 * The target row is the driver as a poll uses it: a scan of PIPELINE blocks of 50 float32
 * points (100 registers each, so PIPELINE FC3 requests) with `max_in_flight = PIPELINE` on one
 * connection, its requests written together and the replies matched by transaction id. The
 * anchor is pymodbus's client one request at a time, as the guide uses it; so that the
 * parallelism is not what the ratio measures alone, pymodbus with PIPELINE clients in as many
 * threads (the same number of requests outstanding) runs beside it, and one request at a time
 * on both sides is a row of its own.
 */
export const modbusBenchmark: Benchmark = {
  name: 'modbus',
  title: 'Modbus TCP reads, 100 registers per request',
  async run(ctx) {
    const requests = pick(ctx, { quick: 2_000, full: 10_000 });
    const warmup = pick(ctx, { quick: 200, full: 1_000 });
    const sim = await startSimulators({
      name: 'modbus',
      config: stringify({
        simulation: { enabled: true, ports: { plc: 0 } },
        instruments: [
          {
            id: 'plc',
            type: 'ModbusPlc',
            config: { host: '127.0.0.1', port: 502, sim_model: 'register_bank' },
          },
        ],
      }),
    });
    const port = sim.ports.plc!;
    const timeoutMs = 300_000;
    type Client = 'pipelined' | 'single' | 'pymodbus' | 'pymodbus_threads';
    const cpu: Record<Client, number[]> = { pipelined: [], single: [], pymodbus: [], pymodbus_threads: [] };
    const rate = (client: Client, r: RequestRate) => {
      cpu[client].push(r.cpu_us_per_request);
      return r.requests_per_s;
    };
    const ours = (client: Client, blocks: number, inFlight: number) => async () =>
      rate(
        client,
        await runJson<RequestRate>(
          nodeBin,
          [
            ...ctx.nodeArgs(`modbus-driver-${client}`),
            benchScript('children/modbus-driver-client.ts'),
            String(port),
            String(Math.round(requests / blocks)),
            String(Math.round(warmup / blocks)),
            '1',
            String(blocks),
            String(inFlight),
          ],
          { timeoutMs },
        ),
      );
    const pymodbus = (client: Client, connections: number) => async () =>
      rate(
        client,
        await runJson<RequestRate>(
          python,
          [
            benchScript('anchors/pymodbus_read.py'),
            String(port),
            String(requests),
            '--warmup',
            String(warmup),
            '--connections',
            String(connections),
          ],
          { timeoutMs },
        ),
      );
    const missing = pymodbusMissing();
    try {
      const outcome = await alternate(
        ctx.rounds,
        [
          { name: 'pipelined', run: ours('pipelined', PIPELINE, PIPELINE) },
          { name: 'single', run: ours('single', 1, 1) },
          { name: 'pymodbus', unavailable: missing, run: pymodbus('pymodbus', 1) },
          { name: 'pymodbus_threads', unavailable: missing, run: pymodbus('pymodbus_threads', PIPELINE) },
        ],
        ctx.log,
      );
      const cpuSpread = (client: Client) =>
        cpu[client].length > 0 ? spread(cpu[client]) : { missing: 'no round ran' };
      return [
        makeResult({
          benchmark: 'modbus',
          metric: `reads of 100 holding registers (FC3), ${PIPELINE} in flight on one connection`,
          unit: 'requests/s',
          ours: outcome.pipelined!,
          anchors: {
            pymodbus: outcome.pymodbus!,
            [`pymodbus_${PIPELINE}_threads`]: outcome.pymodbus_threads!,
          },
          targets: [{ kind: 'ratio-at-least', anchor: 'pymodbus', ratio: 2 }],
          notes: [
            `${requests} requests per round after ${warmup} untimed; ours: the ModbusPlc driver scanning ${PIPELINE} blocks of 50 float32 points (one FC3 of 100 registers each) with max_in_flight = ${PIPELINE} on one connection, decoding every point; simulator in its own process`,
            `pymodbus: its synchronous client, one request at a time (the guide's use, the target's anchor); pymodbus_${PIPELINE}_threads: ${PIPELINE} such clients in ${PIPELINE} threads, the same ${PIPELINE} requests outstanding`,
          ],
        }),
        makeResult({
          benchmark: 'modbus',
          metric: 'reads of 100 holding registers (FC3), one at a time',
          unit: 'requests/s',
          ours: outcome.single!,
          anchors: { pymodbus: outcome.pymodbus! },
          notes: [
            "ours: the driver with one connection and one request in flight (max_in_flight = 1, the default), 50 float32 points per scan; every request waits for the simulator's reply before the next",
          ],
        }),
        makeResult({
          benchmark: 'modbus',
          metric: 'client CPU per request (user + system)',
          unit: 'µs',
          ours: cpuSpread('pipelined'),
          anchors: {
            pymodbus: cpuSpread('pymodbus'),
            [`pymodbus_${PIPELINE}_threads`]: cpuSpread('pymodbus_threads'),
            benchtop_one_at_a_time: cpuSpread('single'),
          },
          notes: [
            `lower is better; ours pipelined (${PIPELINE} in flight); the request rate above also waits on the simulator and on whatever else the machine runs`,
          ],
        }),
      ];
    } finally {
      await sim.stop();
    }
  },
};
