import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import type { BenchtopConfig, InstrumentEntry } from '../../config/schema.ts';
import { systemClock } from '../../core/clock.ts';
import { instrumentKinds } from '../../instruments/catalog.ts';
import { assertBindAllowed } from '../../server/bind-policy.ts';
import type { SimulatorServer } from '../../sim/simulator.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentEndpoint } from '../../transports/endpoint.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/**
 * `benchtop sim`: runs every configured instrument's wire-level simulator on its own, sharing
 * one virtual lab, and prints each endpoint; a Benchtop (or any VISA client) can then be
 * pointed at them as if they were the real instruments.
 */
export async function simCommand(
  flags: ConfigFlags & { randomPorts?: boolean },
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<() => Promise<void>> {
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const sim = config.simulation;
  assertBindAllowed(sim.bind_address, config.security.auth, 'simulation.bind_address');
  const lab = new VirtualLab({
    clock: systemClock,
    seed: sim.seed,
    beamWaistMm: sim.beam_waist_mm,
    knifeEdgeMm: sim.knife_edge_mm,
    warmupS: sim.warmup_s,
  });
  const servers: SimulatorServer[] = [];
  for (const entry of config.instruments.filter((e) => e.enabled)) {
    const kind = instrumentKinds[entry.type];
    if (!kind?.createSimulator) {
      out.write(
        `${entry.id.padEnd(12)} ${entry.type.padEnd(16)} (no wire simulator: simulated in-process when Benchtop runs with [simulation] enabled)\n`,
      );
      continue;
    }
    const server = kind.createSimulator(entry.id, entry.config, lab);
    const address = listenAddress(entry, sim, flags.randomPorts === true);
    const { host, port } = await server.listen(address.port, address.host).catch(async (error: unknown) => {
      await Promise.all(servers.map((s) => s.close()));
      throw error;
    });
    servers.push(server);
    out.write(`${entry.id.padEnd(12)} ${entry.type.padEnd(16)} tcp://${host}:${port}\n`);
  }
  out.write(`${servers.length} simulator(s) running; Ctrl-C to stop\n`);
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}

/** Runs the simulators until SIGINT or SIGTERM. */
export async function simAction(
  inv: Invocation<ConfigFlags & { randomPorts?: boolean }, unknown>,
): Promise<void> {
  const close = await simCommand(inv.options, inv.env, inv.out);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
/** Line settings are not needed to tell where a TCP instrument is; any valid ones will do. */
const ANY_LINE = { baud: 9600, data_bits: 8, parity: 'none', stop_bits: 1, flow_control: 'none' } as const;

/**
 * Where an instrument's simulator listens: `[simulation] ports` when it names one (0: any free
 * port), else the instrument's own TCP address (`TCPIP0::127.0.0.1::5025::SOCKET`, `tcp://…`),
 * so a client configured for the real instrument finds the simulator there; any free port for
 * other links, or for every instrument with --random-ports.
 */
export function listenAddress(
  entry: InstrumentEntry,
  sim: BenchtopConfig['simulation'],
  randomPorts: boolean,
): { host: string; port: number } {
  const named = sim.ports[entry.id];
  if (named !== undefined) return { host: sim.bind_address, port: named };
  if (!randomPorts) {
    const { serial_port, resource } = entry.config as { serial_port?: unknown; resource?: unknown };
    try {
      const endpoint = instrumentEndpoint(
        {
          ...(typeof serial_port === 'string' ? { serial_port } : {}),
          ...(typeof resource === 'string' ? { resource } : {}),
        },
        ANY_LINE,
      );
      if (endpoint.kind === 'tcp') return { host: endpoint.host, port: endpoint.port };
    } catch {
      // No address, or one the simulators cannot take (serial, VXI-11): any free port.
    }
  }
  return { host: sim.bind_address, port: 0 };
}
