import { type Clock, ManualClock } from '../../core/clock.ts';
import { TcpTransport } from '../../transports/tcp-transport.ts';
import { ModbusConnection } from './modbus-connection.ts';
import type { ModbusSimServer } from './modbus-sim-server.ts';

/** A raw Modbus TCP connection to a simulator on loopback, for tests below the driver. */
export async function connectTo(
  server: ModbusSimServer,
  options: { unitId?: number; clock?: Clock; timeoutMs?: number } = {},
): Promise<ModbusConnection> {
  const address = server.address ?? (await server.listen(0, '127.0.0.1'));
  const connection = new ModbusConnection(new TcpTransport(address.host, address.port), {
    unitId: options.unitId ?? 1,
    timeoutMs: options.timeoutMs ?? 2000,
    clock: options.clock ?? new ManualClock(),
  });
  await connection.open();
  return connection;
}
