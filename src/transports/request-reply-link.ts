import type { Clock } from '../core/clock.ts';
import { type Deadline, Deadlines } from '../core/deadlines.ts';
import { BenchtopError } from '../core/errors.ts';
import type { ByteTransport } from './transport.ts';

interface Waiter<R> {
  resolve: (reply: R) => void;
  reject: (error: Error) => void;
  timer: Deadline;
}

/**
 * The request/reply skeleton every link over a byte transport shares: replies awaited by key
 * (a sequence number for lines, which arrive in order; the xid for RPC) with a timeout each,
 * one failure that rejects everything waiting and tells the owner once (`onLost`), and open /
 * close. A protocol adds its framing: it pushes received bytes to its framer and settles the
 * waiter a decoded reply belongs to.
 */
export abstract class RequestReplyLink<R> {
  protected readonly transport: ByteTransport;
  protected readonly clock: Clock;
  private readonly waiting = new Map<number, Waiter<R>>();
  /** Reply timeouts share one clock timer: a round trip must not pay for arming its own. */
  private readonly deadlines: Deadlines;
  private lostListener: (error: BenchtopError) => void = () => {};
  protected failure: BenchtopError | null = null;

  constructor(transport: ByteTransport, clock: Clock) {
    this.transport = transport;
    this.clock = clock;
    this.deadlines = new Deadlines(clock);
    transport.onData((chunk) => {
      try {
        this.receiveBytes(chunk);
      } catch (error) {
        const garbage = this.framingError(error);
        if (!garbage) throw error;
        this.fail(new BenchtopError('PROTOCOL_ERROR', `${transport.address}: ${garbage}`));
      }
    });
    transport.onClose((error) =>
      this.fail(new BenchtopError('LINK_LOST', `${transport.address}: ${error?.message ?? 'closed'}`)),
    );
  }

  /** Feeds received bytes to the protocol's framer. */
  protected abstract receiveBytes(chunk: Uint8Array): void;

  /** The message of a framer error that means the stream is garbage (else undefined: a bug, rethrown). */
  protected abstract framingError(error: unknown): string | undefined;

  /** Forgets partial input (a new connection starts clean). */
  protected abstract resetFraming(): void;

  get address(): string {
    return this.transport.address;
  }

  /** Called once if the link dies (closed by the peer, garbage): the owner reconnects. */
  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  async open(signal?: AbortSignal): Promise<void> {
    this.failure = null;
    this.resetFraming();
    await this.transport.open(signal);
  }

  async close(): Promise<void> {
    this.rejectAll(new BenchtopError('LINK_LOST', `${this.address}: closed`));
    await this.transport.close();
  }

  /** Waits for the reply settled under `key`; `timedOut` is the error after `timeoutMs`. */
  protected expect(key: number, timeoutMs: number, timedOut: () => BenchtopError): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = this.deadlines.add(timeoutMs, () => {
        this.waiting.delete(key);
        reject(timedOut());
      });
      this.waiting.set(key, { resolve, reject, timer });
    });
  }

  /** Hands a reply (or the error it stands for) to whoever waits under `key`; false if nobody does. */
  protected settle(key: number, reply: R | Error): boolean {
    const waiter = this.waiting.get(key);
    if (!waiter) return false;
    this.waiting.delete(key);
    waiter.timer.cancel();
    if (reply instanceof Error) waiter.reject(reply);
    else waiter.resolve(reply);
    return true;
  }

  /** The longest-waiting key (replies that arrive in order go to it). */
  protected oldestKey(): number | undefined {
    return this.waiting.keys().next().value;
  }

  /** Stops waiting under `key` without settling it (the request was never sent). */
  protected forget(key: number): void {
    this.waiting.get(key)?.timer.cancel();
    this.waiting.delete(key);
  }

  protected fail(error: BenchtopError): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectAll(error);
    this.lostListener(error);
  }

  private rejectAll(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) {
      w.timer.cancel();
      w.reject(error);
    }
  }
}
