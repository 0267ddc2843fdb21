import type { Clock, TimerHandle } from '../../../core/clock.ts';
import { BenchtopError } from '../../../core/errors.ts';
import type { ByteTransport } from '../../../transports/transport.ts';
import { decodeReply, encodeCall } from './onc-rpc.ts';
import { encodeRecord, RecordDecoder, RecordTooLargeError } from './record-marking.ts';
import { XdrError, type XdrReader } from './xdr.ts';

interface Pending {
  what: string;
  resolve: (results: XdrReader) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

export interface RpcClientOptions {
  prog: number;
  vers: number;
  clock: Clock;
  /** Largest reply record accepted; anything bigger is garbage. */
  maxRecord?: number;
}

/**
 * ONC-RPC client for one program over a record-marked TCP stream. Replies are matched to
 * calls by xid, so a late reply to a call that already timed out is recognised and dropped.
 */
export class RpcClient {
  private readonly transport: ByteTransport;
  private readonly options: RpcClientOptions;
  private readonly decoder: RecordDecoder;
  private readonly pending = new Map<number, Pending>();
  private xid = Math.floor(Math.random() * 0x7fffffff);
  private lostListener: (error: BenchtopError) => void = () => {};
  private failure: BenchtopError | null = null;
  /** Replies that matched no waiting call (late after a timeout). */
  discarded = 0;

  constructor(transport: ByteTransport, options: RpcClientOptions) {
    this.transport = transport;
    this.options = options;
    this.decoder = new RecordDecoder((record) => this.receive(record), options.maxRecord ?? 2 * 1024 * 1024);
    transport.onData((chunk) => {
      try {
        this.decoder.push(chunk);
      } catch (error) {
        if (!(error instanceof RecordTooLargeError)) throw error;
        this.fail(new BenchtopError('PROTOCOL_ERROR', `${transport.address}: ${error.message}`));
      }
    });
    transport.onClose((error) =>
      this.fail(new BenchtopError('LINK_LOST', `${transport.address}: ${error?.message ?? 'closed'}`)),
    );
  }

  get address(): string {
    return this.transport.address;
  }

  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  async open(signal?: AbortSignal): Promise<void> {
    this.failure = null;
    this.decoder.reset();
    await this.transport.open(signal);
  }

  async close(): Promise<void> {
    this.rejectAll(new BenchtopError('LINK_LOST', `${this.address}: closed`));
    await this.transport.close();
  }

  /** Calls procedure `proc` and resolves with a reader positioned at its results. */
  async call(proc: number, args: Buffer, timeoutMs: number, what: string): Promise<XdrReader> {
    if (this.failure) throw this.failure;
    this.xid = (this.xid + 1) >>> 0;
    const xid = this.xid;
    const reply = new Promise<XdrReader>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pending.delete(xid);
        reject(
          new BenchtopError(
            'INSTRUMENT_TIMEOUT',
            `${this.address}: no reply to ${what} within ${timeoutMs} ms`,
            {
              address: this.address,
              command: what,
              timeoutMs,
            },
          ),
        );
      }, timeoutMs);
      this.pending.set(xid, { what, resolve, reject, timer });
    });
    reply.catch(() => {});
    const message = encodeCall(xid, this.options.prog, this.options.vers, proc, args);
    try {
      await this.transport.write(encodeRecord(message));
    } catch (error) {
      const waiting = this.pending.get(xid);
      this.pending.delete(xid);
      waiting?.timer.cancel();
      throw error;
    }
    return reply;
  }

  private receive(record: Buffer): void {
    let reply: ReturnType<typeof decodeReply>;
    try {
      reply = decodeReply(record);
    } catch (error) {
      if (!(error instanceof XdrError)) throw error;
      reply = null;
    }
    if (!reply) {
      this.fail(
        new BenchtopError('PROTOCOL_ERROR', `${this.address}: received a record that is not an RPC reply`),
      );
      return;
    }
    const waiting = this.pending.get(reply.xid);
    if (!waiting) {
      this.discarded++;
      return;
    }
    this.pending.delete(reply.xid);
    waiting.timer.cancel();
    if (reply.status === 'success') waiting.resolve(reply.results);
    else
      waiting.reject(
        new BenchtopError('PROTOCOL_ERROR', `${this.address}: ${waiting.what} refused: ${reply.reason}`, {
          address: this.address,
          command: waiting.what,
          reason: reply.reason,
        }),
      );
  }

  private fail(error: BenchtopError): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectAll(error);
    this.lostListener(error);
  }

  private rejectAll(error: Error): void {
    for (const waiting of this.pending.values()) {
      waiting.timer.cancel();
      waiting.reject(error);
    }
    this.pending.clear();
  }
}
