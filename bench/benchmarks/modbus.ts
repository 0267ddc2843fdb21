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

/**
 * Modbus reads (issue 13): 100 holding registers per request against a register-bank
 * simulator in its own process (`benchtop sim`), one request at a time: the ModbusPlc driver
 * (50 float32 points, one merged FC3 per scan) against pymodbus's synchronous client.
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
    const args = [String(port), String(requests), String(warmup)];
    const timeoutMs = 300_000;
    const cpu: Record<'benchtop' | 'pymodbus', number[]> = { benchtop: [], pymodbus: [] };
    const rate = (client: 'benchtop' | 'pymodbus', r: RequestRate) => {
      cpu[client].push(r.cpu_us_per_request);
      return r.requests_per_s;
    };
    try {
      const outcome = await alternate(
        ctx.rounds,
        [
          {
            name: 'benchtop',
            run: async () =>
              rate(
                'benchtop',
                await runJson<RequestRate>(
                  nodeBin,
                  [
                    ...ctx.nodeArgs('modbus-driver'),
                    benchScript('children/modbus-driver-client.ts'),
                    ...args,
                  ],
                  { timeoutMs },
                ),
              ),
          },
          {
            name: 'pymodbus',
            unavailable: pymodbusMissing(),
            run: async () =>
              rate(
                'pymodbus',
                await runJson<RequestRate>(
                  python,
                  [
                    benchScript('anchors/pymodbus_read.py'),
                    String(port),
                    String(requests),
                    '--warmup',
                    String(warmup),
                  ],
                  { timeoutMs },
                ),
              ),
          },
        ],
        ctx.log,
      );
      return [
        makeResult({
          benchmark: 'modbus',
          metric: 'reads of 100 holding registers (FC3), one at a time',
          unit: 'requests/s',
          ours: outcome.benchtop!,
          anchors: { pymodbus: outcome.pymodbus! },
          targets: [{ kind: 'ratio-at-least', anchor: 'pymodbus', ratio: 2 }],
          notes: [
            `${requests} requests per round after ${warmup} untimed; ours: the ModbusPlc driver decoding 50 float32 points per request; simulator in its own process`,
          ],
        }),
        makeResult({
          benchmark: 'modbus',
          metric: 'client CPU per request (user + system)',
          unit: 'µs',
          ours: cpu.benchtop.length > 0 ? spread(cpu.benchtop) : { missing: 'no round ran' },
          anchors: {
            pymodbus: cpu.pymodbus.length > 0 ? spread(cpu.pymodbus) : { missing: 'no round ran' },
          },
          notes: [
            'lower is better; the request rate above also waits on the simulator and on whatever else the machine runs',
          ],
        }),
      ];
    } finally {
      await sim.stop();
    }
  },
};
