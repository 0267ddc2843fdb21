import { readFileSync } from 'node:fs';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from '@nats-io/transport-node';
import type { BenchtopConfig } from '../config/schema.ts';
import { BenchtopError } from '../core/errors.ts';

export type BusConfig = BenchtopConfig['bus'];

/** Connection options from `[bus]`: reconnect for ever, and ping often enough to notice a silent partition. */
export function busConnectionOptions(bus: BusConfig, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: bus.url.split(',').map((s) => s.trim()),
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
  };
  if (bus.user !== undefined) {
    options.user = bus.user;
    options.pass = bus.password ?? '';
  }
  if (bus.creds_file) options.authenticator = credsAuthenticator(readFileSync(bus.creds_file));
  else if (bus.nkey_seed_file)
    options.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(readFileSync(bus.nkey_seed_file, 'utf8').trim()),
    );
  if (bus.tls_ca_file || bus.tls_cert_file) {
    options.tls = {
      ...(bus.tls_ca_file ? { caFile: bus.tls_ca_file } : {}),
      ...(bus.tls_cert_file ? { certFile: bus.tls_cert_file } : {}),
      ...(bus.tls_key_file ? { keyFile: bus.tls_key_file } : {}),
    };
  }
  return options;
}

/** Connects, turning a refusal (wrong credentials, nothing listening) into one clear BUS_UNAVAILABLE. */
export async function connectBus(bus: BusConfig, name: string): Promise<NatsConnection> {
  try {
    return await connect(busConnectionOptions(bus, name));
  } catch (error) {
    const message = (error as Error).message;
    const auth = /authori[sz]ation|authentication|permission/i.test(message);
    throw new BenchtopError(
      'BUS_UNAVAILABLE',
      auth
        ? `the NATS server at ${bus.url} refused ${name}'s credentials: ${message} (check [bus] user/password, nkey_seed_file or creds_file)`
        : `cannot connect to the NATS server at ${bus.url}: ${message}`,
      { url: bus.url, auth },
      { cause: error },
    );
  }
}
