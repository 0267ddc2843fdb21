import type { Endpoint } from '../transports/endpoint.ts';
import { instrumentEndpoint } from '../transports/endpoint.ts';
import { openByteTransport } from '../transports/open-transport.ts';
import type { SerialLineSettings } from '../transports/serial-transport.ts';
import type { ByteTransport } from '../transports/transport.ts';
import type { DriverDeps } from './kind.ts';

/**
 * Where a serial instrument's driver connects: its simulator in simulation mode, else its
 * `serial_port` or VISA `resource` with the configured line settings.
 */
export function serialInstrumentEndpoint(
  config: { serial_port?: string; resource?: string } & SerialLineSettings,
  deps: DriverDeps,
): Endpoint {
  return (
    deps.simulatorEndpoint ??
    instrumentEndpoint(config, {
      baud: config.baud,
      data_bits: config.data_bits,
      parity: config.parity,
      stop_bits: config.stop_bits,
      flow_control: config.flow_control,
    })
  );
}

/** A fresh byte transport for each connect: what a kind hands its driver (tests: `memoryPipe`). */
export type OpenTransport = () => ByteTransport;

/** The transport of a serial-line instrument (`serial_port` / `resource`, or its simulator). */
export function serialLineTransport(
  config: { serial_port?: string; resource?: string } & SerialLineSettings,
  deps: DriverDeps,
): OpenTransport {
  const endpoint = serialInstrumentEndpoint(config, deps);
  return () => openByteTransport(endpoint);
}
