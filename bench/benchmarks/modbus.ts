import { spawnSync } from 'node:child_process';
import { stringify } from 'smol-toml';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';

interface RequestRate {
  requests_per_s: number;
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
    try {
      const outcome = await alternate(
        ctx.rounds,
        [
          {
            name: 'benchtop',
            run: async () =>
              (
                await runJson<RequestRate>(
                  nodeBin,
                  [
                    ...ctx.nodeArgs('modbus-driver'),
                    benchScript('children/modbus-driver-client.ts'),
                    ...args,
                  ],
                  { timeoutMs },
                )
              ).requests_per_s,
          },
          {
            name: 'pymodbus',
            unavailable: pymodbusMissing(),
            run: async () =>
              (
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
                )
              ).requests_per_s,
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
      ];
    } finally {
      await sim.stop();
    }
  },
};
