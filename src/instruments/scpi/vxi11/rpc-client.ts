import type { Clock } from '../../../core/clock.ts';
import { BenchtopError } from '../../../core/errors.ts';
import { RequestReplyLink } from '../../../transports/request-reply-link.ts';
import type { ByteTransport } from '../../../transports/transport.ts';
import { decodeReply, encodeCall } from './onc-rpc.ts';
import { encodeRecord, RecordDecoder, RecordTooLargeError } from './record-marking.ts';
import { XdrError, type XdrReader } from './xdr.ts';

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
export class RpcClient extends RequestReplyLink<XdrReader> {
  private readonly options: RpcClientOptions;
  private readonly decoder: RecordDecoder;
  /** What each call in flight asked, by xid, for the error when the server refuses it. */
  private readonly asked = new Map<number, string>();
  private xid = Math.floor(Math.random() * 0x7fffffff);
  /** Replies that matched no waiting call (late after a timeout). */
  discarded = 0;

  constructor(transport: ByteTransport, options: RpcClientOptions) {
    super(transport, options.clock);
    this.options = options;
    this.decoder = new RecordDecoder((record) => this.receive(record), options.maxRecord ?? 2 * 1024 * 1024);
  }

  protected receiveBytes(chunk: Uint8Array): void {
    this.decoder.push(chunk);
  }

  protected framingError(error: unknown): string | undefined {
    return error instanceof RecordTooLargeError ? error.message : undefined;
  }

  protected resetFraming(): void {
    this.decoder.reset();
  }

  /** Calls procedure `proc` and resolves with a reader positioned at its results. */
  async call(proc: number, args: Buffer, timeoutMs: number, what: string): Promise<XdrReader> {
    if (this.failure) throw this.failure;
    this.xid = (this.xid + 1) >>> 0;
    const xid = this.xid;
    this.asked.set(xid, what);
    const reply = this.expect(
      xid,
      timeoutMs,
      () =>
        new BenchtopError(
          'INSTRUMENT_TIMEOUT',
          `${this.address}: no reply to ${what} within ${timeoutMs} ms`,
          {
            address: this.address,
            command: what,
            timeoutMs,
          },
        ),
    ).finally(() => this.asked.delete(xid));
    reply.catch(() => {});
    const message = encodeCall(xid, this.options.prog, this.options.vers, proc, args);
    try {
      await this.transport.write(encodeRecord(message));
    } catch (error) {
      this.forget(xid);
      this.asked.delete(xid);
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
    const what = this.asked.get(reply.xid) ?? 'call';
    const settled = this.settle(
      reply.xid,
      reply.status === 'success'
        ? reply.results
        : new BenchtopError('PROTOCOL_ERROR', `${this.address}: ${what} refused: ${reply.reason}`, {
            address: this.address,
            command: what,
            reason: reply.reason,
          }),
    );
    if (!settled) this.discarded++;
  }
}
