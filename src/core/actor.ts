import type { ActorState, ActorStateChange } from './actor-state.ts';
import type { Clock } from './clock.ts';
import { type Deadline, Deadlines } from './deadlines.ts';
import { BenchtopError, toBenchtopError } from './errors.ts';

/** What an actor is told while it handles a message. */
export interface ActorContext {
  readonly id: string;
  readonly clock: Clock;
  /** Aborted when this incarnation fails or is stopped. */
  readonly lifetime: AbortSignal;
  /**
   * Declares this incarnation dead (e.g. the instrument link dropped). Queued asks fail
   * at once with the reason and the supervisor restarts the actor with backoff.
   */
  fail(error: unknown): void;
  /** Sends a message to this actor's own mailbox (timers, polling) without waiting for it. */
  post(message: unknown): boolean;
}

export interface MessageContext extends ActorContext {
  /** Aborted when the asker stops waiting (ask timeout) or the actor stops. */
  readonly signal: AbortSignal;
}

/**
 * The behaviour of one actor incarnation. The supervisor makes a fresh behaviour for each
 * (re)start, so no state leaks from a failed incarnation into the next.
 */
export interface ActorBehavior<M, R> {
  start?(ctx: ActorContext): Promise<void>;
  handle(message: M, ctx: MessageContext): Promise<R>;
  stop?(ctx: ActorContext): Promise<void>;
}

interface Envelope<M, R> {
  message: M;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
  /** Made when the handler first looks at its signal (most never do): see `messageSignal`. */
  abort: AbortController | null;
  /** Why the asker stopped waiting, if it did before `abort` was made. */
  abandoned: unknown;
  timer: Deadline | null;
  settled: boolean;
}

export interface ActorOptions {
  id: string;
  kind: string;
  mailboxCapacity: number;
  clock: Clock;
  onStateChange: (change: ActorStateChange) => void;
  /** Called once when an incarnation dies on its own (not on stop). */
  onFailure: (error: BenchtopError) => void;
}

export interface AskOptions {
  timeoutMs: number;
}

/**
 * A stable address with a bounded mailbox that handles one message at a time.
 * Its incarnations (behaviours) come and go under a supervisor; the address stays.
 */
export class Actor<M, R> {
  readonly id: string;
  readonly kind: string;
  readonly capacity: number;
  private readonly clock: Clock;
  private readonly options: ActorOptions;
  /** Ask timeouts share one clock timer (a fast instrument answers thousands of asks a second). */
  private readonly deadlines: Deadlines;
  /** The context of the current incarnation, made once per incarnation rather than per message. */
  private baseContext: ActorContext | null = null;
  private behavior: ActorBehavior<M, R> | null = null;
  private lifetime = new AbortController();
  private queue: Envelope<M, R>[] = [];
  private running: Envelope<M, R> | null = null;
  private idleWaiters: (() => void)[] = [];
  private current: ActorState = 'stopped';
  private previous: ActorState | null = null;
  private lastErrorValue: BenchtopError | null = null;
  private restartCount = 0;
  private handled = 0;

  constructor(options: ActorOptions) {
    this.id = options.id;
    this.kind = options.kind;
    this.capacity = options.mailboxCapacity;
    this.clock = options.clock;
    this.options = options;
    this.deadlines = new Deadlines(options.clock);
  }

  get state(): ActorState {
    return this.current;
  }

  get lastError(): BenchtopError | null {
    return this.lastErrorValue;
  }

  /** Messages waiting, not counting the one being handled. */
  get mailboxDepth(): number {
    return this.queue.length;
  }

  get messagesHandled(): number {
    return this.handled;
  }

  /** Sends a message and waits for the reply, at most `timeoutMs`. */
  ask(message: M, options: AskOptions): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const envelope = this.enqueue(message, resolve, reject);
      if (!envelope) return;
      envelope.timer = this.deadlines.add(options.timeoutMs, () => {
        if (envelope.settled) return;
        const waiting = this.queue.indexOf(envelope);
        if (waiting >= 0) this.queue.splice(waiting, 1);
        this.settle(
          envelope,
          new BenchtopError('ASK_TIMEOUT', `${this.id}: no reply within ${options.timeoutMs} ms`, {
            actor: this.id,
            timeoutMs: options.timeoutMs,
            started: waiting < 0,
          }),
        );
        abandon(envelope, new BenchtopError('ASK_TIMEOUT', 'asker stopped waiting'));
      });
    });
  }

  /** Sends a message without waiting; returns false (and counts nothing) if it was refused. */
  tell(message: M): boolean {
    let accepted = true;
    this.enqueue(
      message,
      () => {},
      () => {},
      () => {
        accepted = false;
      },
    );
    return accepted;
  }

  // ---- used by the supervisor ----

  setRestarts(count: number): void {
    this.restartCount = count;
  }

  transition(state: ActorState, error?: BenchtopError, retryInMs?: number): void {
    if (error) this.lastErrorValue = error;
    if (state === 'ready') this.lastErrorValue = null;
    this.previous = this.current;
    this.current = state;
    this.options.onStateChange({
      id: this.id,
      kind: this.kind,
      state,
      previous: this.previous,
      at: this.clock.now(),
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
      restarts: this.restartCount,
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
  }

  /** Starts a new incarnation; throws (SPAWN_TIMEOUT or the start error) if it does not come up. */
  async begin(behavior: ActorBehavior<M, R>, spawnTimeoutMs: number): Promise<void> {
    this.behavior = behavior;
    this.lifetime = new AbortController();
    const ctx = this.context();
    try {
      await withTimeout(
        this.clock,
        behavior.start?.(ctx) ?? Promise.resolve(),
        spawnTimeoutMs,
        () => new BenchtopError('SPAWN_TIMEOUT', `${this.id}: not started within ${spawnTimeoutMs} ms`),
      );
    } catch (error) {
      this.lifetime.abort(error);
      this.behavior = null;
      void Promise.resolve()
        .then(() => behavior.stop?.(ctx))
        .catch(() => {});
      throw toBenchtopError(error, 'ACTOR_UNAVAILABLE');
    }
    if (this.lifetime.signal.aborted) throw toBenchtopError(this.lifetime.signal.reason, 'ACTOR_UNAVAILABLE');
  }

  /** Called after the state became ready: handle whatever arrived meanwhile. */
  resume(): void {
    this.drain();
  }

  /**
   * Stops the incarnation: waits for the message in hand (bounded by the timeout),
   * rejects the rest, and runs the behaviour's stop hook within the same budget.
   */
  async end(shutdownTimeoutMs: number): Promise<{ timedOut: boolean }> {
    const behavior = this.behavior;
    const deadline = this.clock.monotonic() + shutdownTimeoutMs;
    this.rejectQueued(new BenchtopError('ACTOR_STOPPED', `${this.id} is stopping`));
    let timedOut = false;
    if (this.running) {
      timedOut = !(await this.waitIdle(shutdownTimeoutMs));
    }
    const ctx = this.context();
    this.lifetime.abort(new BenchtopError('ACTOR_STOPPED', `${this.id} stopped`));
    this.behavior = null;
    if (behavior?.stop) {
      const remaining = Math.max(0, deadline - this.clock.monotonic());
      try {
        await withTimeout(
          this.clock,
          behavior.stop(ctx),
          remaining,
          () => new BenchtopError('ASK_TIMEOUT', `${this.id}: stop exceeded ${shutdownTimeoutMs} ms`),
        );
      } catch {
        timedOut = true;
      }
    }
    return { timedOut };
  }

  /** Marks the current incarnation dead and rejects waiting asks; the supervisor decides what next. */
  crash(error: unknown): BenchtopError {
    const reason = toBenchtopError(error, 'ACTOR_UNAVAILABLE');
    const behavior = this.behavior;
    const ctx = this.context();
    this.behavior = null;
    this.lifetime.abort(reason);
    this.rejectQueued(
      new BenchtopError(
        'ACTOR_UNAVAILABLE',
        `${this.id} failed: ${reason.message}`,
        { cause: reason.code },
        { cause: reason },
      ),
    );
    if (this.running) {
      // The handler may still be finishing; its reply is dropped and the next incarnation
      // must not wait for it.
      this.settle(this.running, reason);
      abandon(this.running, reason);
      this.running = null;
    }
    void Promise.resolve()
      .then(() => behavior?.stop?.(ctx))
      .catch(() => {});
    return reason;
  }

  private context(): ActorContext {
    const lifetime = this.lifetime;
    if (this.baseContext?.lifetime === lifetime.signal) return this.baseContext;
    this.baseContext = {
      id: this.id,
      clock: this.clock,
      lifetime: lifetime.signal,
      fail: (error: unknown) => {
        if (lifetime.signal.aborted || lifetime !== this.lifetime) return;
        const reason = this.crash(error);
        this.options.onFailure(reason);
      },
      post: (message: unknown) => this.tell(message as M),
    };
    return this.baseContext;
  }

  private enqueue(
    message: M,
    resolve: (value: R) => void,
    reject: (error: unknown) => void,
    refused?: () => void,
  ): Envelope<M, R> | null {
    if (this.current !== 'ready' && this.current !== 'starting') {
      const cause = this.lastErrorValue;
      refused?.();
      reject(
        new BenchtopError(
          'ACTOR_UNAVAILABLE',
          `${this.id} is ${this.current}${cause ? `: ${cause.message}` : ''}`,
          { actor: this.id, state: this.current, ...(cause ? { cause: cause.code } : {}) },
          cause ? { cause } : undefined,
        ),
      );
      return null;
    }
    if (this.queue.length >= this.capacity) {
      refused?.();
      reject(
        new BenchtopError('MAILBOX_FULL', `${this.id}: mailbox full (${this.capacity} messages waiting)`, {
          actor: this.id,
          capacity: this.capacity,
        }),
      );
      return null;
    }
    const envelope: Envelope<M, R> = {
      message,
      resolve,
      reject,
      abort: null,
      abandoned: undefined,
      timer: null,
      settled: false,
    };
    this.queue.push(envelope);
    if (this.current === 'ready') queueMicrotask(this.drainSoon);
    return envelope;
  }

  /** `drain` for queueMicrotask, bound once rather than a closure per message. */
  private readonly drainSoon = () => this.drain();

  private drain(): void {
    if (this.running || this.current !== 'ready' || !this.behavior) return;
    const envelope = this.queue.shift();
    if (!envelope) {
      this.notifyIdle();
      return;
    }
    this.running = envelope;
    const behavior = this.behavior;
    const base = this.context();
    const ctx = new MessageScope(base, envelope);
    let outcome: Promise<R>;
    try {
      outcome = behavior.handle(envelope.message, ctx);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (value) => this.finish(envelope, undefined, value),
      (error) => this.finish(envelope, error),
    );
  }

  private finish(envelope: Envelope<M, R>, error: unknown, value?: R): void {
    this.handled++;
    if (error !== undefined) this.settle(envelope, error);
    else this.settle(envelope, undefined, value as R);
    if (this.running === envelope) this.running = null;
    if (this.current === 'ready' && this.behavior) this.drain();
    else if (!this.running) this.notifyIdle();
  }

  private settle(envelope: Envelope<M, R>, error: unknown, value?: R): void {
    if (envelope.settled) return;
    envelope.settled = true;
    envelope.timer?.cancel();
    if (error !== undefined) envelope.reject(error);
    else envelope.resolve(value as R);
  }

  private rejectQueued(error: BenchtopError): void {
    const queued = this.queue;
    this.queue = [];
    for (const envelope of queued) this.settle(envelope, error);
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        timer.cancel();
        resolve(true);
      });
    });
  }

  private notifyIdle(): void {
    // Every message that empties the mailbox comes here: no new array when nobody waits.
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The context a handler gets. A class, not an object literal with a getter: a literal with an
 * accessor gets its own hidden class each time, old-space garbage at every message. The
 * signal is made on first use: combining signals (AbortSignal.any) costs more than a fast
 * instrument's whole command, and most handlers never look.
 */
class MessageScope<M, R> implements MessageContext {
  readonly id: string;
  readonly clock: Clock;
  readonly lifetime: AbortSignal;
  readonly fail: (error: unknown) => void;
  readonly post: (message: unknown) => boolean;
  private readonly envelope: Envelope<M, R>;
  private made: AbortSignal | null = null;

  constructor(base: ActorContext, envelope: Envelope<M, R>) {
    this.id = base.id;
    this.clock = base.clock;
    this.lifetime = base.lifetime;
    this.fail = base.fail;
    this.post = base.post;
    this.envelope = envelope;
  }

  get signal(): AbortSignal {
    this.made ??= messageSignal(this.envelope, this.lifetime);
    return this.made;
  }
}

/** Aborted when the asker stops waiting or the incarnation ends. */
function messageSignal<M, R>(envelope: Envelope<M, R>, lifetime: AbortSignal): AbortSignal {
  envelope.abort ??= new AbortController();
  if (envelope.abandoned !== undefined && !envelope.abort.signal.aborted)
    envelope.abort.abort(envelope.abandoned);
  return AbortSignal.any([envelope.abort.signal, lifetime]);
}

/** Tells the handler (now, or when it first looks at its signal) that nobody waits any more. */
function abandon<M, R>(envelope: Envelope<M, R>, reason: unknown): void {
  if (envelope.abort) envelope.abort.abort(reason);
  else envelope.abandoned ??= reason;
}

/** Races `promise` against a clock timeout. */
export function withTimeout<T>(
  clock: Clock,
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}
