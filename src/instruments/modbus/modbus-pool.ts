import type { BenchtopError } from '../../core/errors.ts';
import { type ModbusConnection, ModbusExceptionReply } from './modbus-connection.ts';
import type { ModbusRequest, ModbusResponse } from './modbus-pdu.ts';

/** Told about every request's wall time and how it ended (metrics): an exception code, `link` (timeout, lost), or null. */
export type RequestObserver = (r: { fc: number; seconds: number; exception: number | 'link' | null }) => void;

/**
 * A few connections to one PLC, so the blocks of a bulk read go out in parallel: each request
 * goes to the connection with the least queued. Losing any connection loses the pool (the
 * driver reconnects them all), reported once.
 */
export class ModbusPool {
  private readonly connections: ModbusConnection[];
  private lostListener: (error: BenchtopError) => void = () => {};
  private lost = false;
  private readonly observe: RequestObserver | undefined;

  constructor(connections: ModbusConnection[], observe?: RequestObserver) {
    this.connections = connections;
    this.observe = observe;
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
    const observe = this.observe;
    if (!observe) return best.request(request);
    const started = performance.now();
    return best.request(request).then(
      (response) => {
        observe({ fc: request.fc, seconds: (performance.now() - started) / 1000, exception: null });
        return response;
      },
      (error: unknown) => {
        observe({
          fc: request.fc,
          seconds: (performance.now() - started) / 1000,
          exception: error instanceof ModbusExceptionReply ? error.exception : 'link',
        });
        throw error;
      },
    );
  }

  async close(): Promise<void> {
    this.lost = true;
    await Promise.all(this.connections.map((c) => c.close()));
  }
}

declare module '../../core/events.ts' {
  interface BenchtopEvents {
    /** One Modbus request of a PLC driver (metrics): wall seconds, and the exception code, `link`, or null. */
    'modbus.request': { instrument: string; fc: number; seconds: number; exception: number | 'link' | null };
  }
}
