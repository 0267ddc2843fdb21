import { stringify } from 'smol-toml';

/**
 * The configurations the server benchmarks run Benchtop with. Instruments are SCPI DMMs whose
 * simulators run in a separate `benchtop sim` process (real TCP, real SCPI), so the server's
 * CPU and memory are Benchtop's own.
 */

/** Five signals of one DMM, all polled: the fan-out load is "5 signals at 10 Hz" by a 100 ms poll. */
export const fanoutSignals = [
  { name: 'voltage', query: 'MEAS:VOLT:DC?', unit: 'V', poll: true },
  {
    name: 'range',
    query: 'VOLT:DC:RANG?',
    set: 'VOLT:DC:RANG {value}',
    unit: 'V',
    min: 0.1,
    max: 1000,
    poll: true,
  },
  { name: 'resolution', query: 'VOLT:DC:RES?', unit: 'V', poll: true },
  { name: 'autorange', query: 'VOLT:DC:RANG:AUTO?', dtype: 'integer', poll: true },
  { name: 'error_count', query: 'SYST:ERR:COUN?', dtype: 'integer', poll: true },
] as const;

export const fanoutSignalPaths = fanoutSignals.map((s) => `dmm.${s.name}`);

/** Instruments holding the 500 logged signals: 10 DMMs × 50 signals, so no mailbox holds more than 50 reads. */
export const loggingInstruments = Array.from(
  { length: 10 },
  (_, i) => `log${String(i + 1).padStart(2, '0')}`,
);
export const signalsPerLoggingInstrument = 50;
const loggingQueries = ['MEAS:VOLT:DC?', 'VOLT:DC:RANG?', 'VOLT:DC:RES?', 'SYST:ERR:COUN?'];

function loggingSignals() {
  return Array.from({ length: signalsPerLoggingInstrument }, (_, i) => ({
    name: `p${String(i).padStart(3, '0')}`,
    query: loggingQueries[i % loggingQueries.length]!,
    poll: false,
  }));
}

export const loggedSignalPaths = loggingInstruments.flatMap((id) =>
  loggingSignals().map((s) => `${id}.${s.name}`),
);

function dmm(id: string, port: number, pollIntervalMs: number, signals: readonly object[]) {
  return {
    id,
    type: 'ScpiInstrument',
    poll_interval_ms: pollIntervalMs,
    config: { resource: `TCPIP0::127.0.0.1::${port}::SOCKET`, timeout_ms: 2000, signals },
  };
}

/** `benchtop sim` config: a simulated DMM for each id, on ephemeral ports. */
export function simulatorConfig(ids: readonly string[]): string {
  return stringify({
    simulation: { enabled: true, ports: Object.fromEntries(ids.map((id) => [id, 0])) },
    instruments: ids.map((id) => dmm(id, 5025, 0, [{ name: 'voltage', query: 'MEAS:VOLT:DC?' }])),
  });
}

export interface ServerConfigOptions {
  /** Simulator port per instrument id. */
  ports: Record<string, number>;
  /** dmm poll interval: 100 ms for the fan-out load, 1000 (the default) otherwise. */
  dmmPollMs: number;
  /** Add the 500 logged signals and one 1 s logging group over them. */
  logging500?: boolean;
}

/**
 * A server as a site would run it, with two bench-specific settings: the rate limit is off
 * (1000 clients and thousands of PUTs come from one loopback address) and simulation is off
 * (the instruments are the external simulators).
 */
export function serverConfig(options: ServerConfigOptions): string {
  const port = (id: string) => {
    const p = options.ports[id];
    if (!p) throw new Error(`no simulator port for ${id}`);
    return p;
  };
  const instruments = [dmm('dmm', port('dmm'), options.dmmPollMs, fanoutSignals)];
  const config: Record<string, unknown> = {
    application: { name: 'benchtop-bench', log_level: 'info' },
    simulation: { enabled: false },
    server: { rate_limit_per_minute: 0 },
    instruments,
  };
  if (options.logging500) {
    for (const id of loggingInstruments) instruments.push(dmm(id, port(id), 1000, loggingSignals()));
    config.logging = { groups: [{ name: 'bench500', signals: loggedSignalPaths, interval_s: 1 }] };
  }
  return stringify(config);
}
