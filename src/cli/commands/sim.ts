import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { systemClock } from '../../core/clock.ts';
import { instrumentKinds } from '../../instruments/catalog.ts';
import type { SimulatorServer } from '../../sim/simulator.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/**
 * `benchtop sim`: runs every configured instrument's wire-level simulator on its own, sharing
 * one virtual lab, and prints each endpoint; a Benchtop (or any VISA client) can then be
 * pointed at them as if they were the real instruments.
 */
export async function simCommand(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<() => Promise<void>> {
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const sim = config.simulation;
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
    const { host, port } = await server.listen(sim.ports[entry.id] ?? 0, sim.bind_address);
    servers.push(server);
    out.write(`${entry.id.padEnd(12)} ${entry.type.padEnd(16)} tcp://${host}:${port}\n`);
  }
  out.write(`${servers.length} simulator(s) running; Ctrl-C to stop\n`);
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}
