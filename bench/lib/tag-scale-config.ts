import { stringify } from 'smol-toml';

/**
 * The tag-scale benchmark's plant (issue 13, the FUXA anchor): PLCS Modbus PLCs, each a plain
 * register bank, each with POINTS float32 holding-register points (two registers apiece, so
 * 200 points are 400 registers, read in 4 requests), polled every second.
 */
export const plcId = (n: number) => `plc${String(n).padStart(3, '0')}`;
const pointName = (n: number) => `p${String(n).padStart(3, '0')}`;

/** Every point path of PLC `plc` (1-based), in the order its poll publishes them. */
export function tagScaleSignals(plc: number, points: number): string[] {
  return Array.from({ length: points }, (_, i) => `${plcId(plc)}.${pointName(i)}`);
}

function plc(n: number, port: number, points: number) {
  return {
    id: plcId(n),
    type: 'ModbusPlc',
    poll_interval_ms: 1000,
    config: {
      host: '127.0.0.1',
      port,
      sim_model: 'register_bank',
      points: Array.from({ length: points }, (_, i) => ({
        name: pointName(i),
        table: 'holding',
        address: 2 * i,
        type: 'float32',
      })),
    },
  };
}

/** `benchtop sim`: PLCS register banks on ephemeral ports (the points do not matter to a bank). */
export function tagScaleSimulatorConfig(plcs: number): string {
  const ids = Array.from({ length: plcs }, (_, i) => plcId(i + 1));
  return stringify({
    simulation: { enabled: true, ports: Object.fromEntries(ids.map((id) => [id, 0])) },
    instruments: ids.map((_, i) => plc(i + 1, 502, 0)),
  });
}

export const TAG_SCALE_GROUP = 'tags';

/**
 * `benchtop start`: the PLCs polled every second, every point logged by one 1 s group into
 * SQLite. Rate limit off (every client is on loopback), simulation off (the PLCs are the
 * external simulators).
 */
export function tagScaleServerConfig(ports: Record<string, number>, plcs: number, points: number): string {
  const port = (id: string) => {
    const p = ports[id];
    if (!p) throw new Error(`no simulator port for ${id}`);
    return p;
  };
  return stringify({
    application: { name: 'benchtop-bench-tagscale', log_level: 'info' },
    simulation: { enabled: false },
    server: { rate_limit_per_minute: 0 },
    instruments: Array.from({ length: plcs }, (_, i) => plc(i + 1, port(plcId(i + 1)), points)),
    logging: {
      groups: [
        {
          name: TAG_SCALE_GROUP,
          interval_s: 1,
          signals: Array.from({ length: plcs }, (_, i) => tagScaleSignals(i + 1, points)).flat(),
        },
      ],
    },
  });
}
