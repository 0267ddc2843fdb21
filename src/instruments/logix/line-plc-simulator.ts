import type { Clock } from '../../core/clock.ts';
import type { ProductionLine } from '../../sim/production-line.ts';
import { LogixController, type LogixIdentity } from './logix-controller.ts';
import { lineTagDatabase } from './logix-line-program.ts';
import { LogixSimServer } from './logix-sim-server.ts';

/** A 1756-L83E as the vision line's controller reports itself. */
export const LINE_PLC_IDENTITY: LogixIdentity = {
  vendorId: 1, // Rockwell Automation/Allen-Bradley
  deviceType: 14, // programmable logic controller
  productCode: 166,
  revision: { major: 33, minor: 11 },
  serialNumber: 0x00c0ffee,
  productName: '1756-L83E/B',
};

export interface LinePlcSimulatorOptions {
  clock: Clock;
  line: ProductionLine;
  /** Backplane slot of the controller (default 0). */
  slot?: number;
  identity?: Partial<LogixIdentity>;
  /** What `listen(0)` binds (default 44818, the only port the npm clients use). */
  portForZero?: number;
  /** Listen here when asked for 127.0.0.1 (one 127/8 address per simulated PLC). */
  loopbackAlias?: string;
}

/** The vision line's PLC: its tags driven by the line model, served over EtherNet/IP. */
export function createLinePlcSimulator(options: LinePlcSimulatorOptions): LogixSimServer {
  const controller = new LogixController(lineTagDatabase(options.line), {
    identity: { ...LINE_PLC_IDENTITY, ...options.identity },
    slot: options.slot ?? 0,
  });
  return new LogixSimServer(controller, options.clock, {
    ...(options.portForZero === undefined ? {} : { portForZero: options.portForZero }),
    ...(options.loopbackAlias === undefined ? {} : { loopbackAlias: options.loopbackAlias }),
  });
}

/**
 * A stable loopback address per instrument id (127.0.0.10–127.0.0.249), so each simulated PLC
 * of a lab gets its own address on the fixed port.
 */
export function loopbackAddressFor(id: string): string {
  let hash = 2166136261;
  for (const ch of id) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `127.0.0.${10 + (hash % 240)}`;
}
