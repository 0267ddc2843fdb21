import { BenchtopError } from '../../core/errors.ts';
import type { LineLink } from '../../transports/line-link.ts';

/**
 * A message-based connection to a SCPI instrument: what the driver needs, whether the bytes
 * travel as terminated lines (raw socket, serial) or as VXI-11 device_write/device_read calls.
 * Replies come without their termination.
 */
export interface MessageLink {
  readonly address: string;
  open(signal?: AbortSignal): Promise<void>;
  write(command: string): Promise<void>;
  /** Sends a command and returns its reply; INSTRUMENT_TIMEOUT when none comes in time. */
  query(command: string): Promise<string>;
  /** Device clear (VISA viClear); TRANSPORT_UNSUPPORTED where the link has none. */
  clear(): Promise<void>;
  /** Called once if the link dies outside a command (peer closed, garbage). */
  onLost(listener: (error: BenchtopError) => void): void;
  close(): Promise<void>;
}

/** Raw socket and serial instruments: one line per message, through a LineLink. */
export class LineMessageLink implements MessageLink {
  private readonly link: LineLink;

  constructor(link: LineLink) {
    this.link = link;
  }

  get address(): string {
    return this.link.address;
  }

  open(signal?: AbortSignal): Promise<void> {
    return this.link.open(signal);
  }

  write(command: string): Promise<void> {
    return this.link.write(command);
  }

  query(command: string): Promise<string> {
    return this.link.query(command);
  }

  /**
   * A byte stream has no device clear: IEEE 488.1 SDC needs a bus or VXI-11's device_clear.
   * The one thing VISA's viClear does on a socket, dropping replies nobody read, every query
   * here does already.
   */
  async clear(): Promise<void> {
    throw new BenchtopError(
      'TRANSPORT_UNSUPPORTED',
      `${this.address}: a raw socket or serial line has no device clear; it needs a VXI-11 resource (TCPIP::host::INSTR). Unread replies are dropped before every query anyway, and the "clear" action (*CLS) clears the status registers`,
      { address: this.address },
    );
  }

  onLost(listener: (error: BenchtopError) => void): void {
    this.link.onLost(listener);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
