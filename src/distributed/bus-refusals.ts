import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import { type BusConfig, busServers, busTlsOptions } from './bus-connection.ts';
import { explainBusFailure } from './bus-failure.ts';
import { probeTls } from './tls-probe.ts';

/**
 * Logs why the server refuses this connection while the client reconnects, which the client
 * reports only as statuses: credentials changed or revoked on the server (an `error` status), or a
 * TLS failure (nothing at all: each attempt is just `reconnecting`, so the handshake is tried
 * alone to hear why). The client keeps retrying (busConnectionOptions: ignoreAuthErrorAbort), so a
 * fix on the server side is picked up by itself; each reason is logged once per outage.
 */
export async function logBusRefusals(
  nc: NatsConnection,
  bus: BusConfig,
  name: string,
  log: Logger,
): Promise<void> {
  const tls = busTlsOptions(bus);
  const server = busServers(bus)[0]!;
  let logged = '';
  let probing = false;
  const report = (error: Error) => {
    const { message } = explainBusFailure(bus, name, error);
    if (message === logged) return;
    logged = message;
    log.error({ err: error, url: bus.url }, `${message}; still retrying`);
  };
  for await (const status of nc.status()) {
    if (status.type === 'reconnect') logged = '';
    if (status.type === 'error') report(status.error);
    // One probe at a time, and none once the reason is logged: a server that is down refuses the
    // probe's TCP connection at once, so this costs nothing while it stays down.
    if (status.type === 'reconnecting' && tls && !probing && logged === '') {
      probing = true;
      void probeTls(server, tls, 5_000).then((error) => {
        probing = false;
        if (error && !nc.isClosed()) report(error);
      });
    }
  }
}
