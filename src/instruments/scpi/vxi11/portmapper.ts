import type { Clock } from '../../../core/clock.ts';
import { BenchtopError } from '../../../core/errors.ts';
import { TcpTransport } from '../../../transports/tcp-transport.ts';
import { RpcClient } from './rpc-client.ts';
import { XdrWriter } from './xdr.ts';

/** Portmapper (RFC 1833 version 2): program 100000, well-known port 111. */
export const Portmapper = {
  PROG: 100000,
  VERS: 2,
  PORT: 111,
  PROC_NULL: 0,
  PROC_GETPORT: 3,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
} as const;

/** GETPORT arguments: the mapping (prog, vers, prot, port=0) to look up. */
export function encodeGetPort(prog: number, vers: number, protocol: number = Portmapper.IPPROTO_TCP): Buffer {
  return new XdrWriter().uint(prog).uint(vers).uint(protocol).uint(0).toBuffer();
}

/**
 * Asks the portmapper on `host:portmapperPort` where program `prog` version `vers` listens
 * over TCP. One short connection per lookup, as VISA libraries do.
 */
export async function lookupPort(options: {
  host: string;
  portmapperPort: number;
  prog: number;
  vers: number;
  clock: Clock;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<number> {
  const transport = new TcpTransport(options.host, options.portmapperPort, {
    connectTimeoutMs: options.timeoutMs,
  });
  const client = new RpcClient(transport, {
    prog: Portmapper.PROG,
    vers: Portmapper.VERS,
    clock: options.clock,
  });
  const what = `portmapper GETPORT(${options.prog}, v${options.vers}, tcp)`;
  await client.open(options.signal);
  try {
    const results = await client.call(
      Portmapper.PROC_GETPORT,
      encodeGetPort(options.prog, options.vers),
      options.timeoutMs,
      what,
    );
    const port = results.uint();
    if (port === 0 || port > 65535) {
      throw new BenchtopError(
        'LINK_LOST',
        `${options.host}:${options.portmapperPort}: program ${options.prog} v${options.vers} is not registered with the portmapper`,
        { host: options.host, portmapperPort: options.portmapperPort, prog: options.prog },
      );
    }
    return port;
  } finally {
    await client.close();
  }
}
