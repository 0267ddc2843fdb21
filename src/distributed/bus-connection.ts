import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  checkServerIdentity,
  type ConnectionOptions as NodeTlsConnectOptions,
  type PeerCertificate,
} from 'node:tls';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
  nkeys,
} from '@nats-io/transport-node';
import type { BenchtopConfig } from '../config/schema.ts';
import { BenchtopError } from '../core/errors.ts';
import { explainBusFailure } from './bus-failure.ts';
import { probeTls } from './tls-probe.ts';

export type BusConfig = BenchtopConfig['bus'];
/** The client hands these to Node's tls.connect as they are, checkServerIdentity included. */
export type BusTlsOptions = NonNullable<NodeConnectionOptions['tls']> &
  Pick<NodeTlsConnectOptions, 'checkServerIdentity'>;

/** The `[bus] url` list as host/port/scheme (a bare `host:port` is nats://, the client's default). */
export function busServers(bus: BusConfig): { url: string; scheme: string; host: string; port: number }[] {
  return bus.url.split(',').map((s) => {
    const url = s.trim();
    let parsed: URL;
    try {
      parsed = new URL(url.includes('://') ? url : `nats://${url}`);
    } catch {
      throw new BenchtopError('CONFIG_INVALID', `[bus] url: "${url}" is not a NATS server address`, {
        key: 'bus.url',
      });
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    return { url, scheme: parsed.protocol.slice(0, -1), host, port: Number(parsed.port || 4222) };
  });
}

/** A `[bus]` file, read now so that a wrong path is a config error naming the key, not a connection error. */
function readBusFile(
  bus: BusConfig,
  key: 'creds_file' | 'nkey_seed_file' | 'tls_ca_file' | 'tls_cert_file' | 'tls_key_file',
): Buffer {
  const path = bus[key]!;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BenchtopError(
      'CONFIG_INVALID',
      `[bus] ${key} "${path}" cannot be read: ${(error as Error).message}`,
      { key: `bus.${key}`, path },
      { cause: error },
    );
  }
}

/** The seed in `[bus] nkey_seed_file`, checked now: the client would only fail on connecting. */
function readUserSeed(bus: BusConfig): Uint8Array {
  const seed = new TextEncoder().encode(readBusFile(bus, 'nkey_seed_file').toString('utf8').trim());
  let publicKey = '';
  try {
    publicKey = nkeys.fromSeed(seed).getPublicKey();
  } catch {
    // Not a seed at all: said below.
  }
  if (!publicKey.startsWith('U'))
    throw new BenchtopError(
      'CONFIG_INVALID',
      `[bus] nkey_seed_file "${bus.nkey_seed_file}" holds no NKey user seed (a line starting SU, from \`nsc\` or \`nk -gen user\`)`,
      { key: 'bus.nkey_seed_file', path: bus.nkey_seed_file },
    );
  return seed;
}

/** The authenticator for `[bus] creds_file`, tried once now: the client would only fail on connecting. */
function readUserCreds(bus: BusConfig): ReturnType<typeof credsAuthenticator> {
  const authenticator = credsAuthenticator(readBusFile(bus, 'creds_file'));
  try {
    authenticator('a nonce to sign');
  } catch (error) {
    throw new BenchtopError(
      'CONFIG_INVALID',
      `[bus] creds_file "${bus.creds_file}" holds no user JWT and seed (a .creds file, as \`nsc generate creds\` writes it): ${(error as Error).message}`,
      { key: 'bus.creds_file', path: bus.creds_file },
      { cause: error },
    );
  }
  return authenticator;
}

function settingClash(message: string, key: string): BenchtopError {
  return new BenchtopError('CONFIG_INVALID', `[bus] ${message}`, { key: `bus.${key}` });
}

/**
 * Node checks a certificate against `servername`, which the client leaves empty for an IP address,
 * so Node falls back to "localhost" and refuses a certificate issued for the IP (nats://10.0.0.5).
 * Check such a server against the configured IP addresses instead.
 */
function checkIpServers(ips: string[]): BusTlsOptions['checkServerIdentity'] {
  return (host: string, cert: PeerCertificate) => {
    if (host !== 'localhost' || ips.length === 0) return checkServerIdentity(host, cert);
    const errors = ips.map((ip) => checkServerIdentity(ip, cert));
    return errors.find((e) => e === undefined) ?? errors[0];
  };
}

/** TLS options from `[bus]`: wanted when a file is set or a server is tls://. */
export function busTlsOptions(bus: BusConfig): BusTlsOptions | undefined {
  const servers = busServers(bus);
  const tlsUrl = servers.some((s) => s.scheme === 'tls');
  if (Boolean(bus.tls_cert_file) !== Boolean(bus.tls_key_file))
    throw settingClash(
      'tls_cert_file and tls_key_file go together: the client certificate and its private key',
      bus.tls_cert_file ? 'tls_key_file' : 'tls_cert_file',
    );
  if (!tlsUrl && !bus.tls_ca_file && !bus.tls_cert_file) return undefined;
  // Read once to fail early with the key's name; the client reads the files again on every
  // (re)connect, so a renewed certificate is picked up without a restart.
  if (bus.tls_ca_file) readBusFile(bus, 'tls_ca_file');
  if (bus.tls_cert_file) readBusFile(bus, 'tls_cert_file');
  if (bus.tls_key_file) readBusFile(bus, 'tls_key_file');
  return {
    ...(bus.tls_ca_file ? { caFile: bus.tls_ca_file } : {}),
    ...(bus.tls_cert_file ? { certFile: bus.tls_cert_file } : {}),
    ...(bus.tls_key_file ? { keyFile: bus.tls_key_file } : {}),
    checkServerIdentity: checkIpServers(servers.map((s) => s.host).filter((h) => isIP(h) !== 0)),
  };
}

/** Connection options from `[bus]`: reconnect for ever (refused credentials included), and ping often enough to notice a silent partition. */
export function busConnectionOptions(bus: BusConfig, name: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: busServers(bus).map((s) => s.url),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 5_000,
    maxPingOut: 2,
    timeout: 5_000,
    // The client otherwise captures a stack trace for every request it sends, so that a timeout
    // can point at the caller: a cost on every remote command (decision 0018). Our errors name
    // the agent, instrument and verb instead.
    noAsyncTraces: true,
    // Refused credentials while reconnecting would otherwise end the connection for good after two
    // tries, leaving an agent that buffers for ever. Retry as after a cut; logBusRefusals says why.
    ignoreAuthErrorAbort: true,
  };
  if (bus.creds_file && bus.nkey_seed_file)
    throw settingClash(
      'creds_file and nkey_seed_file: set one (a .creds file holds its own seed)',
      'nkey_seed_file',
    );
  if (bus.user !== undefined) {
    options.user = bus.user;
    options.pass = bus.password ?? '';
  }
  if (bus.creds_file) options.authenticator = readUserCreds(bus);
  else if (bus.nkey_seed_file) options.authenticator = nkeyAuthenticator(readUserSeed(bus));
  // A tls:// url must not quietly connect in the clear to a server without TLS.
  const tls = busTlsOptions(bus);
  if (tls) options.tls = tls;
  return options;
}

/**
 * Connects, turning a refusal (wrong credentials, a TLS failure, nothing listening) into one clear
 * BUS_UNAVAILABLE naming the server and the `[bus]` setting to check.
 */
export async function connectBus(bus: BusConfig, name: string): Promise<NatsConnection> {
  const options = busConnectionOptions(bus, name);
  try {
    return await connect(options);
  } catch (error) {
    // A server that refuses our client certificate closes the connection after the handshake, and
    // the client only reports that nothing answered: repeat the handshake alone to hear why.
    const why =
      options.tls && (error as Error).name === 'TimeoutError'
        ? ((await probeTls(busServers(bus)[0]!, options.tls, options.timeout ?? 5_000)) ?? error)
        : error;
    const { message, kind } = explainBusFailure(bus, name, why as Error);
    throw new BenchtopError(
      'BUS_UNAVAILABLE',
      message,
      { url: bus.url, auth: kind === 'auth', kind },
      { cause: why },
    );
  }
}
