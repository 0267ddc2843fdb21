import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import type { BusConfig } from './bus-connection.ts';
import { explainBusFailure } from './bus-failure.ts';

/**
 * Logs what the client only reports as a status while it reconnects: the server refusing this
 * connection (credentials changed or revoked on the server). The client keeps retrying
 * (busConnectionOptions: ignoreAuthErrorAbort), so a fix on the server side is picked up by itself;
 * each refusal is logged once until the connection is back, not at every retry.
 */
export async function logBusRefusals(
  nc: NatsConnection,
  bus: BusConfig,
  name: string,
  log: Logger,
): Promise<void> {
  let logged = '';
  for await (const status of nc.status()) {
    if (status.type === 'reconnect') logged = '';
    if (status.type !== 'error') continue;
    const { message } = explainBusFailure(bus, name, status.error);
    if (message === logged) continue;
    logged = message;
    log.error({ err: status.error, url: bus.url }, `${message}; still retrying`);
  }
}
