import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import { LineFramer, LineTooLongError, type Terminator } from './line-framer.ts';
import type { ByteTransport } from './transport.ts';

export interface LineLinkOptions {
  readTermination: Terminator;
  writeTermination: string;
  timeoutMs: number;
  clock: Clock;
  /** Lines the instrument sends by itself that are never replies (ESP300 "E…" notices). */
  isUnsolicited?: (line: string) => boolean;
  /** Largest reply line; longer input is treated as garbage. */
  maxLineLength?: number;
}

interface Waiter {
  resolve: (line: string) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/**
 * Line-oriented request/reply over a byte transport: `write` a command, `query` a command
 * and read its reply line, `readLine` for further lines of a multi-line reply. Lines that
 * arrive while nobody is reading are kept (bounded) and discarded before the next query, so a
 * stale reply is never taken for the answer to a new question.
 */
export class LineLink {
  private readonly transport: ByteTransport;
  private readonly options: LineLinkOptions;
  private readonly framer: LineFramer;
  private readonly unread: string[] = [];
  private waiters: Waiter[] = [];
  private lostListener: (error: BenchtopError) => void = () => {};
  private failure: BenchtopError | null = null;
  /** Lines dropped: unsolicited, stale, or overflowed. */
  discarded = 0;

  constructor(transport: ByteTransport, options: LineLinkOptions) {
    this.transport = transport;
    this.options = options;
    this.framer = new LineFramer(
      options.readTermination,
      (line) => this.receive(line),
      options.maxLineLength,
    );
    transport.onData((chunk) => {
      try {
        this.framer.push(chunk);
      } catch (error) {
        if (error instanceof LineTooLongError)
          this.fail(new BenchtopError('PROTOCOL_ERROR', `${transport.address}: ${error.message}`));
        else throw error;
      }
    });
    transport.onClose((error) =>
      this.fail(new BenchtopError('LINK_LOST', `${transport.address}: ${error?.message ?? 'closed'}`)),
    );
  }

  get address(): string {
    return this.transport.address;
  }

  /** Called once if the link dies (closed by the peer, garbage): the owner reconnects. */
  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  async open(signal?: AbortSignal): Promise<void> {
    this.failure = null;
    this.framer.reset();
    this.unread.length = 0;
    await this.transport.open(signal);
  }

  async close(): Promise<void> {
    this.rejectAll(new BenchtopError('LINK_LOST', `${this.address}: closed`));
    await this.transport.close();
  }

  async write(command: string): Promise<void> {
    if (this.failure) throw this.failure;
    await this.transport.write(Buffer.from(command + this.options.writeTermination, 'latin1'));
  }

  /** Sends a command and returns the next reply line. */
  async query(command: string, timeoutMs = this.options.timeoutMs): Promise<string> {
    this.discarded += this.unread.length;
    this.unread.length = 0;
    const reply = this.readLine(timeoutMs, command);
    reply.catch(() => {});
    await this.write(command);
    return reply;
  }

  /** The next line, waiting at most `timeoutMs`. */
  readLine(timeoutMs = this.options.timeoutMs, forCommand?: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.unread.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<string>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.options.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new BenchtopError(
              'INSTRUMENT_TIMEOUT',
              `${this.address}: no reply${forCommand ? ` to "${forCommand.trim()}"` : ''} within ${timeoutMs} ms`,
              {
                address: this.address,
                command: forCommand,
                timeoutMs,
                partial: this.framer.pending || undefined,
              },
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private receive(line: string): void {
    if (this.options.isUnsolicited?.(line)) {
      this.discarded++;
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.timer.cancel();
      waiter.resolve(line);
      return;
    }
    this.unread.push(line);
    if (this.unread.length > 64) {
      this.unread.shift();
      this.discarded++;
    }
  }

  private fail(error: BenchtopError): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectAll(error);
    this.lostListener(error);
  }

  private rejectAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.timer.cancel();
      w.reject(error);
    }
  }
}
