import { BenchtopError } from '../core/errors.ts';
import type { Endpoint } from './endpoint.ts';
import { SerialTransport } from './serial-transport.ts';
import { TcpTransport } from './tcp-transport.ts';
import type { ByteTransport } from './transport.ts';

/** A byte transport for a stream endpoint (TCP or serial). VXI-11 is message-based: see vxi11/. */
export function openByteTransport(
  endpoint: Endpoint,
  options: { connectTimeoutMs?: number } = {},
): ByteTransport {
  switch (endpoint.kind) {
    case 'tcp':
      return new TcpTransport(endpoint.host, endpoint.port, options);
    case 'serial':
      return new SerialTransport(endpoint.path, endpoint.line);
    case 'vxi11':
      throw new BenchtopError(
        'TRANSPORT_UNSUPPORTED',
        `vxi11://${endpoint.host}/${endpoint.device} is message-based; use a Vxi11Link`,
      );
  }
}
