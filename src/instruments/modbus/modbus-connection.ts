import type { Clock, TimerHandle } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import { LengthPrefixedFramer, mbapFormat } from '../../transports/length-prefixed-framer.ts';
import type { ByteTransport } from '../../transports/transport.ts';
import {
  decodeAdu,
  decodeResponse,
  encodeAdu,
  encodeRequest,
  exceptionName,
  ModbusFormatError,
  type ModbusRequest,
  type ModbusResponse,
} from './modbus-pdu.ts';

/** The device answered with an exception: the link is fine, the request was refused. */
export class ModbusExceptionReply extends Error {
  readonly exception: number;
  readonly fc: number;
  constructor(fc: number, exception: number) {
    super(
      `exception ${exception.toString(16).padStart(2, '0')} (${exceptionName(exception)}) to function ${fc}`,
    );
    this.name = 'ModbusExceptionReply';
    this.fc = fc;
    this.exception = exception;
  }
}

interface Pending {
  transactionId: number;
  request: ModbusRequest;
  resolve: (r: ModbusResponse) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle;
}

/**
 * One Modbus TCP connection: up to `maxInFlight` requests outstanding (default 1: many PLCs
 * accept no more), the rest queued in order; replies matched by transaction id, in whatever
 * order they come. Requests made in the same turn are written together, one system call for
 * the lot. A timeout or a reply that does not fit its request means the stream is no longer
 * trusted: INSTRUMENT_TIMEOUT / PROTOCOL_ERROR.
 */
export class ModbusConnection {
  private readonly transport: ByteTransport;
  private readonly unitId: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly framer: LengthPrefixedFramer;
  private readonly maxInFlight: number;
  private nextTransaction = 1;
  /** Sent and not answered, by transaction id. */
  private readonly pending = new Map<number, Pending>();
  /** Waiting for a free slot, in order. */
  private readonly waiting: { request: ModbusRequest; start: () => void }[] = [];
  /** Frames made this turn, written together at the end of it (maxInFlight > 1). */
  private outbox: Uint8Array[] = [];
  private lostListener: (error: BenchtopError) => void = () => {};
  private lost: BenchtopError | null = null;
  /** Requests queued or in flight (the pool sends to the least busy connection). */
  queued = 0;

  constructor(
    transport: ByteTransport,
    options: { unitId: number; timeoutMs: number; clock: Clock; maxInFlight?: number },
  ) {
    this.transport = transport;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.unitId = options.unitId;
    this.timeoutMs = options.timeoutMs;
    this.clock = options.clock;
    this.framer = new LengthPrefixedFramer(mbapFormat, (frame) => this.onFrame(frame));
    transport.onData((chunk) => {
      try {
        this.framer.push(chunk);
      } catch (error) {
        this.fail(new BenchtopError('PROTOCOL_ERROR', `${transport.address}: ${(error as Error).message}`));
      }
    });
    transport.onClose((error) =>
      this.fail(new BenchtopError('LINK_LOST', `${transport.address}: ${error?.message ?? 'closed'}`)),
    );
  }

  get address(): string {
    return this.transport.address;
  }

  async open(signal?: AbortSignal): Promise<void> {
    await this.transport.open(signal);
  }

  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  async close(): Promise<void> {
    this.lost ??= new BenchtopError('LINK_LOST', `${this.address}: closed`);
    this.rejectPending(this.lost);
    await this.transport.close().catch(() => {});
  }

  /** Sends a request and resolves with the reply; an exception reply rejects with ModbusExceptionReply. */
  request(request: ModbusRequest): Promise<ModbusResponse> {
    if (this.lost) return Promise.reject(this.lost);
    this.queued++;
    // A free slot (the usual case for a poll): send now rather than behind a queue.
    const run =
      this.pending.size < this.maxInFlight && this.waiting.length === 0
        ? this.send(request)
        : new Promise<ModbusResponse>((resolve, reject) => {
            this.waiting.push({ request, start: () => this.send(request).then(resolve, reject) });
          });
    return run.then(
      (response) => {
        this.done();
        return response;
      },
      (error: unknown) => {
        this.done();
        throw error;
      },
    );
  }

  /** A request is over: the first waiting one takes its slot. */
  private done(): void {
    this.queued--;
    if (this.pending.size < this.maxInFlight) this.waiting.shift()?.start();
  }

  private send(request: ModbusRequest): Promise<ModbusResponse> {
    if (this.lost) return Promise.reject(this.lost);
    const transactionId = this.nextTransaction;
    this.nextTransaction = (this.nextTransaction + 1) & 0xffff || 1;
    return new Promise<ModbusResponse>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.fail(
          new BenchtopError(
            'INSTRUMENT_TIMEOUT',
            `${this.address}: no reply to function ${request.fc} within ${this.timeoutMs} ms`,
            { address: this.address, fc: request.fc, timeoutMs: this.timeoutMs },
          ),
        );
      }, this.timeoutMs);
      this.pending.set(transactionId, { transactionId, request, resolve, reject, timer });
      const frame = encodeAdu(transactionId, this.unitId, encodeRequest(request));
      if (this.maxInFlight === 1) this.write(frame);
      else {
        if (this.outbox.length === 0) queueMicrotask(this.flush);
        this.outbox.push(frame);
      }
    }).then((response) => {
      if ('exception' in response) throw new ModbusExceptionReply(request.fc, response.exception);
      return response;
    });
  }

  private readonly flush = () => {
    const frames = this.outbox;
    this.outbox = [];
    if (frames.length === 0 || this.lost) return;
    this.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  };

  private write(bytes: Uint8Array): void {
    this.transport.write(bytes).catch((error) => {
      this.fail(error instanceof BenchtopError ? error : new BenchtopError('LINK_LOST', String(error)));
    });
  }

  private onFrame(frame: Buffer): void {
    const adu = decodeAdu(frame);
    const p = this.pending.get(adu.transactionId);
    // A late reply to a request that already timed out, or not Modbus at all: not ours.
    if (!p || adu.protocolId !== 0) return;
    this.pending.delete(adu.transactionId);
    p.timer.cancel();
    try {
      p.resolve(decodeResponse(adu.pdu, p.request));
    } catch (error) {
      const message = error instanceof ModbusFormatError ? error.message : String(error);
      const fault = new BenchtopError('PROTOCOL_ERROR', `${this.address}: ${message}`, {
        address: this.address,
      });
      p.reject(fault);
      this.fail(fault);
    }
  }

  private rejectPending(error: BenchtopError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.outbox = [];
    for (const p of pending) {
      p.timer.cancel();
      p.reject(error);
    }
    // Those still waiting fail as they start: the connection is lost.
    for (const w of this.waiting.splice(0)) w.start();
  }

  /** The connection is unusable: reject what waits, close it, tell the owner once. */
  private fail(error: BenchtopError): void {
    if (this.lost) return;
    this.lost = error;
    this.rejectPending(error);
    void this.transport.close().catch(() => {});
    this.lostListener(error);
  }
}
