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

const settled = () => {};

interface Pending {
  transactionId: number;
  request: ModbusRequest;
  resolve: (r: ModbusResponse) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle;
}

/**
 * One Modbus TCP connection: one request in flight at a time (many PLCs accept no more), the
 * next queued behind it; replies matched by transaction id. A timeout or a reply that does not
 * fit its request means the stream is no longer trusted: INSTRUMENT_TIMEOUT / PROTOCOL_ERROR.
 */
export class ModbusConnection {
  private readonly transport: ByteTransport;
  private readonly unitId: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly framer: LengthPrefixedFramer;
  private nextTransaction = 1;
  private pending: Pending | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private lostListener: (error: BenchtopError) => void = () => {};
  private lost: BenchtopError | null = null;
  /** Requests queued or in flight (the pool sends to the least busy connection). */
  queued = 0;

  constructor(transport: ByteTransport, options: { unitId: number; timeoutMs: number; clock: Clock }) {
    this.transport = transport;
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
    // Idle (the usual case for a poll): send now rather than a microtask later behind the tail.
    const run = this.queued === 0 ? this.send(request) : this.tail.then(() => this.send(request));
    this.queued++;
    this.tail = run.then(settled, settled);
    return run.then(
      (response) => {
        this.queued--;
        return response;
      },
      (error: unknown) => {
        this.queued--;
        throw error;
      },
    );
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
      this.pending = { transactionId, request, resolve, reject, timer };
      this.transport.write(encodeAdu(transactionId, this.unitId, encodeRequest(request))).catch((error) => {
        this.fail(error instanceof BenchtopError ? error : new BenchtopError('LINK_LOST', String(error)));
      });
    }).then((response) => {
      if ('exception' in response) throw new ModbusExceptionReply(request.fc, response.exception);
      return response;
    });
  }

  private onFrame(frame: Buffer): void {
    const adu = decodeAdu(frame);
    const p = this.pending;
    // A late reply to a request that already timed out, or not Modbus at all: not ours.
    if (!p || adu.transactionId !== p.transactionId || adu.protocolId !== 0) return;
    this.pending = null;
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
    const p = this.pending;
    this.pending = null;
    if (p) {
      p.timer.cancel();
      p.reject(error);
    }
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
