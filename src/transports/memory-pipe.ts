import type { ByteTransport } from './transport.ts';

/**
 * The instrument's end of an in-memory pipe: what the driver's transport writes arrives here,
 * and what is sent from here arrives at the driver, in whatever chunks the test chooses.
 */
export interface PipePeer {
  /** Everything the driver wrote, in order. */
  readonly received: Uint8Array[];
  /** Called with each chunk the driver writes. */
  onData(receiver: (chunk: Uint8Array) => void): void;
  /** Delivers bytes to the driver (split them to test framing). */
  send(chunk: Uint8Array | string): void;
  /** Closes the pipe from the instrument's side (cable pulled): the transport's onClose fires. */
  hangUp(error?: Error): void;
}

/**
 * A duplex pipe with no socket: a ByteTransport for the code under test and the peer the test
 * plays the instrument with. Delivery is synchronous, so a test controls every interleaving.
 */
export function memoryPipe(address = 'memory:pipe'): { transport: ByteTransport; peer: PipePeer } {
  let open = false;
  let toDriver: (chunk: Uint8Array) => void = () => {};
  let toPeer: (chunk: Uint8Array) => void = () => {};
  let closed: (error?: Error) => void = () => {};
  const received: Uint8Array[] = [];
  const transport: ByteTransport = {
    address,
    get isOpen() {
      return open;
    },
    async open(signal) {
      signal?.throwIfAborted();
      open = true;
    },
    async write(data) {
      if (!open) throw new Error(`${address}: not open`);
      const copy = Uint8Array.from(data);
      received.push(copy);
      toPeer(copy);
    },
    onData(receiver) {
      toDriver = receiver;
    },
    onClose(listener) {
      closed = listener;
    },
    async close() {
      open = false;
    },
  };
  const peer: PipePeer = {
    received,
    onData(receiver) {
      toPeer = receiver;
    },
    send(chunk) {
      if (!open) return;
      toDriver(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    },
    hangUp(error) {
      if (!open) return;
      open = false;
      closed(error);
    },
  };
  return { transport, peer };
}
