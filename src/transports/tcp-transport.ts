import { Socket } from 'node:net';
import { BenchtopError } from '../core/errors.ts';
import { type ByteTransport, writeAccepted } from './transport.ts';

/** Bytes one read takes at most; a longer reply arrives over several reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Raw TCP (SCPI port 5025, serial device servers, simulators). Reads go through the socket's
 * `onread` buffer, not its readable stream: no Buffer and no stream bookkeeping per read, about
 * 2 µs of the 13–15 a loopback query costs the client here (docs/decisions/0026-socket-reads-into-one-buffer.md).
 * So the chunk a receiver gets is lent for the call (ByteTransport.onData).
 */
export class TcpTransport implements ByteTransport {
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly connectTimeoutMs: number;
  private socket: Socket | null = null;
  private receiver: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};
  private closedByUs = false;
  /** Every read of this transport's connections lands here (see `open`). */
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

  constructor(host: string, port: number, options: { connectTimeoutMs?: number } = {}) {
    this.host = host;
    this.port = port;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.address = `tcp://${host}:${port}`;
  }

  get isOpen(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  open(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new Socket({
        onread: {
          buffer: this.readBuffer,
          callback: (bytes: number, buffer: Uint8Array) => {
            this.receiver(buffer.subarray(0, bytes));
            return true;
          },
        },
      });
      this.closedByUs = false;
      const fail = (error: Error) => {
        socket.destroy();
        reject(
          new BenchtopError(
            'LINK_LOST',
            `cannot connect to ${this.address}: ${error.message}`,
            { address: this.address },
            { cause: error },
          ),
        );
      };
      const timer = setTimeout(
        () => fail(new Error(`no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      const onAbort = () => fail(new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', (e) => {
        clearTimeout(timer);
        fail(e);
      });
      socket.connect(this.port, this.host, () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        this.socket = socket;
        let reported = false;
        const closed = (error?: Error) => {
          if (reported) return;
          reported = true;
          this.socket = null;
          if (!this.closedByUs)
            this.closeListener(error ?? new Error(`${this.address} closed the connection`));
        };
        socket.on('error', (e) => closed(e));
        socket.on('close', () => closed());
        resolve();
      });
    });
  }

  /**
   * Resolves once the socket took the bytes, without waiting for the write's completion
   * callback: that callback costs a nextTick, a closure and a promise hop per command, a
   * sizeable share of a loopback SCPI round trip. A failed write still surfaces: the socket
   * emits 'error' and closes, and the link fails everything waiting on it (LINK_LOST). When
   * the kernel buffer is full, the promise waits for 'drain', so a writer still feels
   * backpressure.
   */
  write(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new BenchtopError('LINK_LOST', `${this.address} is not connected`));
    if (socket.write(data)) return writeAccepted;
    return new Promise((resolve, reject) => {
      const drained = () => {
        socket.off('close', closed);
        resolve();
      };
      const closed = () => {
        socket.off('drain', drained);
        reject(new BenchtopError('LINK_LOST', `write to ${this.address} failed: the connection closed`));
      };
      socket.once('drain', drained);
      socket.once('close', closed);
    });
  }

  onData(receiver: (chunk: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200).unref();
    });
  }
}
