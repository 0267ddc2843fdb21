import { isIP } from 'node:net';
import { BenchtopError } from '../core/errors.ts';

/** True for addresses only this machine can reach. */
export function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase();
  if (a === 'localhost' || a === '::1' || a === '[::1]') return true;
  return isIP(a) === 4 && a.startsWith('127.');
}

/**
 * Secure by default: without authentication Benchtop only listens on loopback. Anything
 * else must turn authentication on first.
 */
export function assertBindAllowed(
  bindAddress: string,
  auth: 'none' | 'required',
  setting = 'server.bind_address',
): void {
  if (auth === 'none' && !isLoopback(bindAddress)) {
    throw new BenchtopError(
      'INSECURE_BIND',
      `refusing to listen on ${bindAddress} without authentication (${setting}). Either bind to 127.0.0.1, or set ` +
        `[security] auth = "required" with a jwt_secret (32+ characters) and create a key with ` +
        `"benchtop keys create --role admin".`,
      { bind_address: bindAddress, setting },
    );
  }
}

/**
 * How to report a server bound to `bindAddress`: the address it really listens on (0.0.0.0 is
 * said as such, "all interfaces"), not the loopback URL a listener happens to return.
 */
export function describeBind(bindAddress: string, port: number, tls: boolean): string {
  const host = bindAddress.includes(':') && !bindAddress.startsWith('[') ? `[${bindAddress}]` : bindAddress;
  const everywhere = bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '[::]';
  return `${tls ? 'https' : 'http'}://${host}:${port}${everywhere ? ' (all interfaces)' : ''}`;
}
