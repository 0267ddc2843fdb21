import { spawnSync } from 'node:child_process';
import { stringify } from 'smol-toml';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startSimulators } from '../lib/benchtop-process.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { libmodbusServerMissing, startLibmodbusServer } from '../lib/libmodbus-server.ts';
import { threadCpuSeconds } from '../lib/process-sampler.ts';
import { type Measured, makeResult } from '../lib/results.ts';
import { alternate, type Contender } from '../lib/rounds.ts';
import { spread } from '../lib/stats.ts';

interface RequestRate {
  /** Requests timed (the warm-up excluded). */
  n: number;
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

type Client = 'pipelined' | 'single' | 'pymodbus' | 'pymodbus_threads';

/** A Modbus TCP server the clients read from: ours (`benchtop sim`) or libmodbus's. */
interface Server {
  key: 'sim' | 'libmodbus';
  /** How the rows name it. */
  label: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Modbus reads (issue 13): 100 holding registers per request, our ModbusPlc driver against
 * pymodbus's synchronous client (the guide's), each against two servers in their own processes:
 * our register-bank simulator (`benchtop sim`, the server) and libmodbus's own example
 * server (built from Debian libmodbus-dev's examples at bench time), so that the client ratio
 * is also shown on a server that is not ours. Every client × server pair is one contender of
 * the same alternating rounds.
 *
 * The target row is the driver as a poll uses it: a scan of PIPELINE blocks of 50 float32
 * points (100 registers each, so PIPELINE FC3 requests) with `max_in_flight = PIPELINE` on one
 * connection, its requests written together and the replies matched by transaction id. The
 * anchor is pymodbus's client one request at a time, as the guide uses it; so that the
 * parallelism is not what the ratio measures alone, pymodbus with PIPELINE clients in as many
 * threads (the same number of requests outstanding) runs beside it, and one request at a time
 * on both sides is a row of its own. Each server's CPU per request it served (from /proc, around
 * each client run, warm-up included) says how much of a round trip the server itself costs.
 */
export const modbusBenchmark: Benchmark = {
  name: 'modbus',
  title: 'Modbus TCP reads, 100 registers per request',
  async run(ctx) {
    const requests = pick(ctx, { quick: 2_000, full: 10_000 });
    const warmup = pick(ctx, { quick: 200, full: 1_000 });
    const timeoutMs = 300_000;
    const servers: Server[] = [];
    let libmodbusMissing = libmodbusServerMissing();
    try {
      const sim = await startSimulators({
        name: 'modbus',
        nodeArgs: ctx.nodeArgs('modbus-sim'),
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
      servers.push({
        key: 'sim',
        label: 'benchtop sim',
        port: sim.ports.plc!,
        pid: sim.child.pid,
        stop: sim.stop,
      });
      if (libmodbusMissing) ctx.log(`  libmodbus server skipped: ${libmodbusMissing}`);
      else {
        // A build or start failure leaves the rows on our simulator standing, and says why.
        const lib = await startLibmodbusServer().catch((error: unknown) => {
          libmodbusMissing = `libmodbus server did not start: ${(error as Error).message.split('\n')[0]}`;
          ctx.log(`  ${libmodbusMissing}`);
          return null;
        });
        if (lib)
          servers.push({
            key: 'libmodbus',
            label: "libmodbus's server",
            port: lib.port,
            pid: lib.child.pid,
            stop: lib.stop,
          });
      }
      const clientCpu = new Map<string, number[]>();
      const serverCpu = new Map<string, number[]>();
      const push = (map: Map<string, number[]>, key: string, value: number) =>
        map.set(key, [...(map.get(key) ?? []), value]);
      /** One client run against one server: its rate, with the client's and the server's CPU per request. */
      const measured = async (
        client: Client,
        server: Server,
        warmupServed: number,
        run: () => Promise<RequestRate>,
      ) => {
        const cpuBefore = threadCpuSeconds(server.pid);
        const r = await run();
        const served = r.n + warmupServed;
        push(
          serverCpu,
          `${client}@${server.key}`,
          ((threadCpuSeconds(server.pid) - cpuBefore) * 1e6) / served,
        );
        push(clientCpu, `${client}@${server.key}`, r.cpu_us_per_request);
        return r.requests_per_s;
      };
      const ours = (client: Client, server: Server, blocks: number, inFlight: number) => {
        const scans = Math.round(requests / blocks);
        const warmupScans = Math.round(warmup / blocks);
        return () =>
          measured(client, server, warmupScans * blocks, () =>
            runJson<RequestRate>(
              nodeBin,
              [
                ...ctx.nodeArgs(`modbus-driver-${client}-${server.key}`),
                benchScript('children/modbus-driver-client.ts'),
                String(server.port),
                String(scans),
                String(warmupScans),
                '1',
                String(blocks),
                String(inFlight),
              ],
              { timeoutMs },
            ),
          );
      };
      const pymodbus = (client: Client, server: Server, connections: number) => () =>
        measured(client, server, Math.floor(warmup / connections) * connections, () =>
          runJson<RequestRate>(
            python,
            [
              benchScript('anchors/pymodbus_read.py'),
              String(server.port),
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
      const contenders: Contender[] = servers.flatMap((server) => [
        { name: `pipelined@${server.key}`, run: ours('pipelined', server, PIPELINE, PIPELINE) },
        { name: `single@${server.key}`, run: ours('single', server, 1, 1) },
        { name: `pymodbus@${server.key}`, unavailable: missing, run: pymodbus('pymodbus', server, 1) },
        {
          name: `pymodbus_threads@${server.key}`,
          unavailable: missing,
          run: pymodbus('pymodbus_threads', server, PIPELINE),
        },
      ]);
      const outcome = await alternate(ctx.rounds, contenders, ctx.log);
      const cpuSpread = (map: Map<string, number[]>, key: string): Measured => {
        const values = map.get(key) ?? [];
        return values.length > 0 ? spread(values) : { missing: 'no round ran' };
      };
      const rows = servers.flatMap((server) => {
        const at = (client: Client) => outcome[`${client}@${server.key}`]!;
        const on = `on ${server.label}`;
        return [
          makeResult({
            benchmark: 'modbus',
            metric: `reads of 100 holding registers (FC3), ${PIPELINE} in flight on one connection, ${on}`,
            unit: 'requests/s',
            ours: at('pipelined'),
            anchors: { pymodbus: at('pymodbus'), [`pymodbus_${PIPELINE}_threads`]: at('pymodbus_threads') },
            targets: [{ kind: 'ratio-at-least', anchor: 'pymodbus', ratio: 2 }],
            notes: [
              `${requests} requests per round after ${warmup} untimed; ours: the ModbusPlc driver scanning ${PIPELINE} blocks of 50 float32 points (one FC3 of 100 registers each) with max_in_flight = ${PIPELINE} on one connection, decoding every point; server: ${server.label}, in its own process`,
              `pymodbus: its synchronous client, one request at a time (the guide's use, the target's anchor); pymodbus_${PIPELINE}_threads: ${PIPELINE} such clients in ${PIPELINE} threads, the same ${PIPELINE} requests outstanding`,
              ...(server.key === 'libmodbus'
                ? [
                    "libmodbus's bandwidth-server-many-up example (Debian libmodbus-dev), built at bench time, patched for a free port, TCP_NODELAY and 10,000 holding registers (bench/lib/libmodbus-server.ts)",
                  ]
                : []),
            ],
          }),
          makeResult({
            benchmark: 'modbus',
            metric: `reads of 100 holding registers (FC3), one at a time, ${on}`,
            unit: 'requests/s',
            ours: at('single'),
            anchors: { pymodbus: at('pymodbus') },
            notes: [
              "ours: the driver with one connection and one request in flight (max_in_flight = 1, the default), 50 float32 points per scan; every request waits for the server's reply before the next",
            ],
          }),
          makeResult({
            benchmark: 'modbus',
            metric: `client CPU per request (user + system), ${on}`,
            unit: 'µs',
            ours: cpuSpread(clientCpu, `pipelined@${server.key}`),
            anchors: {
              pymodbus: cpuSpread(clientCpu, `pymodbus@${server.key}`),
              [`pymodbus_${PIPELINE}_threads`]: cpuSpread(clientCpu, `pymodbus_threads@${server.key}`),
              benchtop_one_at_a_time: cpuSpread(clientCpu, `single@${server.key}`),
            },
            notes: [
              `lower is better; ours pipelined (${PIPELINE} in flight); the request rate above also waits on the server and on whatever else the machine runs`,
            ],
          }),
        ];
      });
      const serverRow = makeResult({
        benchmark: 'modbus',
        metric: `server CPU per request served (user + system), under our driver ${PIPELINE} in flight`,
        unit: 'µs',
        ours: cpuSpread(serverCpu, 'pipelined@sim'),
        anchors: {
          libmodbus: libmodbusMissing
            ? { missing: libmodbusMissing }
            : cpuSpread(serverCpu, 'pipelined@libmodbus'),
          benchtop_sim_under_pymodbus: cpuSpread(serverCpu, 'pymodbus@sim'),
          ...(libmodbusMissing
            ? {}
            : { libmodbus_under_pymodbus: cpuSpread(serverCpu, 'pymodbus@libmodbus') }),
        },
        notes: [
          "lower is better; ours: `benchtop sim`'s register bank; the server process's CPU (every thread, /proc schedstat) over each client run divided by the requests it served, warm-up included",
        ],
      });
      // Without the second server, its row says why, so the table does not just lose it.
      const libmodbusSkipped = libmodbusMissing
        ? [
            makeResult({
              benchmark: 'modbus',
              metric: `reads of 100 holding registers (FC3), ${PIPELINE} in flight on one connection, on libmodbus's server`,
              unit: 'requests/s',
              ours: { missing: libmodbusMissing },
            }),
          ]
        : [];
      return [...rows, ...libmodbusSkipped, serverRow];
    } finally {
      for (const server of servers) await server.stop();
    }
  },
};
