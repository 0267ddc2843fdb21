/**
 * A byte pipe to an instrument. Protocol code (framing, drivers) only sees this interface,
 * never `net` or `serialport`, so it is tested with in-memory pipes and split buffers.
 */
export interface ByteTransport {
  /** Human-readable address for logs and errors, e.g. `tcp://127.0.0.1:5025`, `serial:/dev/ttyUSB0@19200`. */
  readonly address: string;
  open(signal?: AbortSignal): Promise<void>;
  /** Resolves when the transport took the bytes; `writeAccepted` itself when it took them at once. */
  write(data: Uint8Array): Promise<void>;
  /**
   * Registers the receiver of incoming bytes (one receiver). The chunk is lent for the call: a
   * TCP transport reads every chunk into the same buffer, so a receiver that keeps bytes past
   * its return copies them (the framers do).
   */
  onData(receiver: (chunk: Uint8Array) => void): void;
  /** Called once when the link closes by itself (peer closed, cable pulled, error). */
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

/**
 * What `write` returns when the bytes were taken at once (a socket with room in its buffer): a
 * settled promise shared by every such write, so a caller that checks for it skips the
 * reaction (a promise, a closure and a microtask) it would otherwise attach per command.
 */
export const writeAccepted: Promise<void> = Promise.resolve();
