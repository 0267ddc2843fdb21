import type { Clock } from '../../core/clock.ts';
import { instrumentEndpoint } from '../../transports/endpoint.ts';
import { LineLink } from '../../transports/line-link.ts';
import { openByteTransport } from '../../transports/open-transport.ts';
import type { DriverDeps } from '../kind.ts';
import type { ScpiConfig } from './config.ts';
import { LineMessageLink, type MessageLink } from './message-link.ts';
import { Vxi11Link } from './vxi11/vxi11-link.ts';

/** What the ScpiInstrument kind hands its driver: a fresh message link for each connect. */
export type OpenMessageLink = (clock: Clock) => MessageLink;

/** ASRL resources: 8N1 without handshake at the configured baud rate. */
export const serialLine = (config: ScpiConfig) =>
  ({ baud: config.baud, data_bits: 8, parity: 'none', stop_bits: 1, flow_control: 'none' }) as const;

/**
 * The link the resource names: VXI-11 for `TCPIP::host[::inst0]::INSTR`, else lines over a raw
 * socket or a serial port; in simulation, the simulator's endpoint instead. The resource is
 * resolved at each connect, so one the driver cannot use fails that connect with its code.
 */
export function scpiLink(config: ScpiConfig, deps: DriverDeps): OpenMessageLink {
  return (clock) => {
    const endpoint =
      deps.simulatorEndpoint ?? instrumentEndpoint({ resource: config.resource }, serialLine(config));
    if (endpoint.kind === 'vxi11') {
      return new Vxi11Link({
        host: endpoint.host,
        device: endpoint.device,
        portmapperPort: config.portmapper_port,
        timeoutMs: config.timeout_ms,
        clock,
        readTermination: config.read_termination,
        writeTermination: config.write_termination,
        // An exclusive session takes the lock in create_link (waiting up to timeout_ms for
        // another client's); destroy_link on disconnect releases it. Commands do not wait for
        // a lock held elsewhere: they fail at once with INSTRUMENT_UNAVAILABLE.
        lockDevice: config.lock,
      });
    }
    const transport = openByteTransport(endpoint, { connectTimeoutMs: config.timeout_ms });
    return new LineMessageLink(
      new LineLink(transport, {
        readTermination: config.read_termination,
        writeTermination: config.write_termination,
        timeoutMs: config.timeout_ms,
        clock,
      }),
    );
  };
}
