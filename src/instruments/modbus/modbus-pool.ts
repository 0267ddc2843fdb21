import type { BenchtopError } from '../../core/errors.ts';
import type { ModbusConnection } from './modbus-connection.ts';
import type { ModbusRequest, ModbusResponse } from './modbus-pdu.ts';

/**
 * A few connections to one PLC, so the blocks of a bulk read go out in parallel: each request
 * goes to the connection with the least queued. Losing any connection loses the pool (the
 * driver reconnects them all), reported once.
 */
export class ModbusPool {
  private readonly connections: ModbusConnection[];
  private lostListener: (error: BenchtopError) => void = () => {};
  private lost = false;

  constructor(connections: ModbusConnection[]) {
    this.connections = connections;
    for (const c of connections)
      c.onLost((error) => {
        if (this.lost) return;
        this.lost = true;
        this.lostListener(error);
      });
  }

  get size(): number {
    return this.connections.length;
  }

  async open(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.connections.map((c) => c.open(signal)));
  }

  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  request(request: ModbusRequest): Promise<ModbusResponse> {
    let best = this.connections[0]!;
    for (const c of this.connections) if (c.queued < best.queued) best = c;
    return best.request(request);
  }

  async close(): Promise<void> {
    this.lost = true;
    await Promise.all(this.connections.map((c) => c.close()));
  }
}
