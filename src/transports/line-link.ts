import type { Clock } from '../core/clock.ts';
import { BenchtopError, toBenchtopError } from '../core/errors.ts';
import { LineFramer, LineTooLongError, type Terminator } from './line-framer.ts';
import { RequestReplyLink } from './request-reply-link.ts';
import { type ByteTransport, writeAccepted } from './transport.ts';

/** Distinct commands whose bytes are kept (a setpoint sweep sends new ones: the cache restarts). */
const ENCODED_COMMANDS_KEPT = 64;

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

/**
 * Line-oriented request/reply over a byte transport: `write` a command, `query` a command
 * and read its reply line, `readLine` for further lines of a multi-line reply. Lines that
 * arrive while nobody is reading are kept (bounded) and discarded before the next query, so a
 * stale reply is never taken for the answer to a new question.
 */
export class LineLink extends RequestReplyLink<string> {
  private readonly options: LineLinkOptions;
  private readonly framer: LineFramer;
  private readonly unread: string[] = [];
  /** Keys for reply waiters: lines answer in order, so the oldest waiter gets the next line. */
  private nextKey = 0;
  /** Lines dropped: unsolicited, stale, or overflowed. */
  discarded = 0;
  private readonly encoded = new Map<string, Buffer>();

  constructor(transport: ByteTransport, options: LineLinkOptions) {
    super(transport, options.clock);
    this.options = options;
    this.framer = new LineFramer(
      options.readTermination,
      (line) => this.receive(line),
      options.maxLineLength,
    );
  }

  protected receiveBytes(chunk: Uint8Array): void {
    this.framer.push(chunk);
  }

  protected framingError(error: unknown): string | undefined {
    return error instanceof LineTooLongError ? error.message : undefined;
  }

  protected resetFraming(): void {
    this.framer.reset();
    this.unread.length = 0;
  }

  async write(command: string): Promise<void> {
    if (this.failure) throw this.failure;
    await this.transport.write(this.encode(command));
  }

  /**
   * Sends a command and returns the next reply line. The reply is awaited, not the write: a
   * write that fails fails the link, which rejects the reply, so the round trip pays no
   * extra promise hop for the send.
   *
   * The bytes go out first and the reply's waiter (promise, deadline) is made while the
   * instrument works on it: time spent before the write is added to every round trip, and a
   * peer woken later costs the write's system call more (an idle VM's vCPU). A reply that
   * came back during the write itself (an in-memory pipe) waits in `unread` for `readLine`.
   */
  query(command: string, timeoutMs = this.options.timeoutMs): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    this.discarded += this.unread.length;
    this.unread.length = 0;
    const sent = this.transport.write(this.encode(command));
    // Bytes taken at once cannot fail later: no reaction to attach (the common case).
    if (sent !== writeAccepted)
      sent.catch((error: unknown) => this.fail(toBenchtopError(error, 'LINK_LOST')));
    return this.readLine(timeoutMs, command);
  }

  /**
   * The bytes of a command with its termination. Pollers and loops send the same few queries
   * over and over: their bytes are kept (never mutated, so one Buffer can be queued to the
   * socket several times), which saves a string concatenation and an encode per query.
   */
  private encode(command: string): Buffer {
    const known = this.encoded.get(command);
    if (known) return known;
    const bytes = Buffer.from(command + this.options.writeTermination, 'latin1');
    if (this.encoded.size >= ENCODED_COMMANDS_KEPT) this.encoded.clear();
    this.encoded.set(command, bytes);
    return bytes;
  }

  /** The next line, waiting at most `timeoutMs`. */
  readLine(timeoutMs = this.options.timeoutMs, forCommand?: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.unread.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return this.expect(
      this.nextKey++,
      timeoutMs,
      () =>
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
  }

  private receive(line: string): void {
    if (this.options.isUnsolicited?.(line)) {
      this.discarded++;
      return;
    }
    const oldest = this.oldestKey();
    if (oldest !== undefined && this.settle(oldest, line)) return;
    this.unread.push(line);
    if (this.unread.length > 64) {
      this.unread.shift();
      this.discarded++;
    }
  }
}
