import type { Clock, TimerHandle } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import { LineFramer, LineTooLongError } from '../../transports/line-framer.ts';
import type { ByteTransport } from '../../transports/transport.ts';
import type { CvxTrigger } from './config.ts';
import { classifyLine, commandHeader, cvxFraming, cvxProtocolError, cvxRefusal } from './cvx-protocol.ts';

/** A result line as received. */
export interface CvxResultLine {
  raw: string;
  fields: string[];
}

export interface CvxTriggerOutcome {
  line: CvxResultLine;
  /** From writing the trigger to receiving its result line. */
  elapsedMs: number;
}

/** A result line nobody triggered through this session: an external (I/O) trigger, or a late one. */
export type UnclaimedResultListener = (line: CvxResultLine, info: { late: boolean }) => void;

export interface CvxSessionOptions {
  /** Instrument id, for error messages. */
  instrument: string;
  timeoutMs: number;
  clock: Clock;
}

interface Pending {
  command: string;
  header: string;
  /** 'reply' until the echo arrives; a trigger then waits for its result line. */
  phase: 'reply' | 'result';
  wantsResult: boolean;
  sentAt: number;
  timer: TimerHandle | null;
  resolve: (value: { fields: string[]; result?: CvxTriggerOutcome }) => void;
  reject: (error: BenchtopError) => void;
}

/**
 * One connection to a CV-X: commands and their echoes, triggers and their result lines, over
 * any byte transport (never `net` itself, so it is tested with split buffers in memory).
 *
 * Commands go one at a time. Lines are told apart by shape (see classifyLine): a result line
 * that arrives while a trigger waits after its echo is that trigger's result; one that arrives
 * at any other time (before the echo, or with nothing waiting) belongs to an earlier or an
 * external trigger and goes to the unclaimed-result listener. The controller handles commands in
 * order, so a late result always comes before the next trigger's echo and is never taken for
 * that trigger's result. Garbage means the stream is out of step: the session fails.
 */
export class CvxSession {
  private readonly transport: ByteTransport;
  private readonly options: CvxSessionOptions;
  private readonly framer: LineFramer;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: BenchtopError | null = null;
  private lostListener: (error: BenchtopError) => void = () => {};
  private unclaimedListener: UnclaimedResultListener = () => {};
  /** Triggers that timed out waiting for their result: the next unclaimed results are theirs. */
  private overdue = 0;
  /** Replies that arrived with nothing waiting for them (after a timeout). */
  discarded = 0;

  constructor(transport: ByteTransport, options: CvxSessionOptions) {
    this.transport = transport;
    this.options = options;
    this.framer = new LineFramer(cvxFraming.readTermination, (line) => this.receive(line));
    transport.onData((chunk) => {
      try {
        this.framer.push(chunk);
      } catch (error) {
        if (!(error instanceof LineTooLongError)) throw error;
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

  /** Called once if the link dies (closed by the peer, garbage): the owner reconnects. */
  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  onUnclaimedResult(listener: UnclaimedResultListener): void {
    this.unclaimedListener = listener;
  }

  async open(signal?: AbortSignal): Promise<void> {
    this.failure = null;
    this.framer.reset();
    await this.transport.open(signal);
  }

  async close(): Promise<void> {
    const closed = new BenchtopError('LINK_LOST', `${this.address}: closed`);
    this.failure ??= closed;
    this.settle(null, closed);
    await this.transport.close();
  }

  /** Sends a command and returns its echo's fields (`RM,1` → ['RM', '1']); a refusal throws INSTRUMENT_ERROR. */
  async command(command: string): Promise<string[]> {
    return (await this.enqueue(command, false, this.options.timeoutMs)).fields;
  }

  /**
   * Sends a trigger, waits for its echo and then its result line, both within `timeoutMs` of
   * sending: no echo is INSTRUMENT_TIMEOUT (the link is in doubt), an echo without a result is
   * VISION_TIMEOUT (the link is fine; the inspection produced no result in time).
   */
  async trigger(which: CvxTrigger, timeoutMs = this.options.timeoutMs): Promise<CvxTriggerOutcome> {
    return (await this.enqueue(which, true, timeoutMs)).result!;
  }

  private enqueue(command: string, wantsResult: boolean, timeoutMs: number) {
    const run = this.queue.then(() => this.send(command, wantsResult, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private send(command: string, wantsResult: boolean, timeoutMs: number) {
    if (this.failure) return Promise.reject(this.failure);
    const { clock, instrument } = this.options;
    return new Promise<{ fields: string[]; result?: CvxTriggerOutcome }>((resolve, reject) => {
      const pending: Pending = {
        command,
        header: commandHeader(command),
        phase: 'reply',
        wantsResult,
        sentAt: clock.monotonic(),
        timer: null,
        resolve,
        reject,
      };
      this.pending = pending;
      pending.timer = clock.setTimeout(() => {
        if (this.pending !== pending) return;
        if (pending.phase === 'result') {
          this.overdue++;
          this.settle(
            null,
            new BenchtopError(
              'VISION_TIMEOUT',
              `${instrument}: "${command}" was accepted but no result line came within ${timeoutMs} ms`,
              { instrument, command, timeoutMs },
            ),
          );
        } else {
          this.settle(
            null,
            new BenchtopError(
              'INSTRUMENT_TIMEOUT',
              `${this.address}: no reply to "${command}" within ${timeoutMs} ms`,
              { address: this.address, command, timeoutMs, partial: this.framer.pending || undefined },
            ),
          );
        }
      }, timeoutMs);
      this.transport
        .write(Buffer.from(command + cvxFraming.writeTermination, 'latin1'))
        .catch((error: unknown) => {
          if (this.pending === pending)
            this.settle(
              null,
              error instanceof BenchtopError
                ? error
                : new BenchtopError('LINK_LOST', `write to ${this.address} failed`),
            );
        });
    });
  }

  private receive(line: string): void {
    const parsed = classifyLine(line);
    const pending = this.pending;
    const { instrument, clock } = this.options;
    switch (parsed.kind) {
      case 'garbage':
        this.fail(
          cvxProtocolError(instrument, pending?.command ?? '(none)', line, 'a CV-X reply or result line'),
        );
        return;
      case 'result': {
        const result: CvxResultLine = { raw: line, fields: parsed.fields };
        if (pending?.phase === 'result') {
          this.settle({
            fields: [],
            result: { line: result, elapsedMs: clock.monotonic() - pending.sentAt },
          });
          return;
        }
        const late = this.overdue > 0;
        if (late) this.overdue--;
        this.unclaimedListener(result, { late });
        return;
      }
      case 'reply':
        if (pending?.phase !== 'reply') {
          this.discarded++;
          return;
        }
        if (parsed.header !== pending.header) {
          this.fail(cvxProtocolError(instrument, pending.command, line, `the echo "${pending.header}…"`));
          return;
        }
        if (pending.wantsResult) pending.phase = 'result';
        else this.settle({ fields: parsed.fields });
        return;
      case 'error':
        if (pending?.phase !== 'reply') {
          this.discarded++;
          return;
        }
        if (parsed.command !== pending.header) {
          this.fail(cvxProtocolError(instrument, pending.command, line, `an answer to "${pending.header}"`));
          return;
        }
        this.settle(null, cvxRefusal(instrument, pending.command, parsed.code));
        return;
    }
  }

  /** Ends the pending command with a value or an error. */
  private settle(
    value: { fields: string[]; result?: CvxTriggerOutcome } | null,
    error?: BenchtopError,
  ): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    pending.timer?.cancel();
    if (error) pending.reject(error);
    else pending.resolve(value!);
  }

  private fail(error: BenchtopError): void {
    if (this.failure) return;
    this.failure = error;
    this.settle(null, error);
    this.lostListener(error);
  }
}
