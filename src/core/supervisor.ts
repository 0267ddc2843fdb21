import { Actor, type ActorBehavior } from './actor.ts';
import type { ActorStateChange } from './actor-state.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { BenchtopError } from './errors.ts';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs` before the actor is marked faulted. */
  maxRestarts: number;
  windowMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Relative jitter: 0.2 spreads each delay over ±20 %. */
  jitter: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  jitter: 0.2,
};

export interface SupervisorOptions {
  clock: Clock;
  mailboxCapacity: number;
  spawnTimeoutMs: number;
  shutdownTimeoutMs: number;
  policy?: RestartPolicy;
  /**
   * A faulted actor gets one more start attempt this often, so a device repaired or switched
   * back on is picked up without an operator (absent: it stays faulted until `restart`).
   */
  faultedRetryMs?: number;
  /**
   * An incarnation that stays ready this long forgets the restarts before it: a link that
   * drops now and then and comes back each time is not a crash loop, and its next outage
   * starts again from the shortest backoff (absent: restarts age out of the window only).
   */
  stableAfterMs?: number;
  /** Uniform [0,1) source for jitter; injectable so tests are exact. */
  random?: () => number;
  onStateChange: (change: ActorStateChange) => void;
}

export interface SpawnOptions {
  kind: string;
  mailboxCapacity?: number;
  policy?: RestartPolicy;
}

interface Child<M, R> {
  actor: Actor<M, R>;
  factory: () => ActorBehavior<M, R>;
  policy: RestartPolicy;
  restarts: number[];
  timer: TimerHandle | null;
  /** Clears `restarts` once an incarnation has been ready for `stableAfterMs`. */
  stableTimer: TimerHandle | null;
  generation: number;
}

/** Delay before restart number `attempt` (0-based): exponential, capped, jittered. */
export function backoffDelay(policy: RestartPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** attempt);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * spread));
}

/**
 * Owns actors: starts them, restarts a failed one with exponential backoff and jitter,
 * gives up after too many restarts in a window (faulted) without touching its siblings,
 * and stops everything in reverse start order.
 */
export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly children = new Map<string, Child<never, unknown>>();
  private readonly random: () => number;
  private stopping = false;

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  /**
   * Creates the actor and makes its first start attempt. Resolves once that attempt is over,
   * whether it came up or is now retrying in the background: one absent instrument must not
   * keep the rest of the lab from starting.
   */
  async spawn<M, R>(
    id: string,
    factory: () => ActorBehavior<M, R>,
    options: SpawnOptions,
  ): Promise<Actor<M, R>> {
    if (this.children.has(id)) throw new Error(`actor id "${id}" already exists`);
    const child: Child<M, R> = {
      actor: new Actor<M, R>({
        id,
        kind: options.kind,
        mailboxCapacity: options.mailboxCapacity ?? this.options.mailboxCapacity,
        clock: this.options.clock,
        onStateChange: this.options.onStateChange,
        onFailure: (error) => this.handleFailure(child, error),
      }),
      factory,
      policy: options.policy ?? this.options.policy ?? defaultRestartPolicy,
      restarts: [],
      timer: null,
      stableTimer: null,
      generation: 0,
    };
    this.children.set(id, child as unknown as Child<never, unknown>);
    await this.startIncarnation(child);
    return child.actor;
  }

  get<M, R>(id: string): Actor<M, R> | undefined {
    return this.children.get(id)?.actor as Actor<M, R> | undefined;
  }

  actors(): Actor<unknown, unknown>[] {
    return [...this.children.values()].map((c) => c.actor as Actor<unknown, unknown>);
  }

  /** Operator-requested restart, also the way out of `faulted`: the restart window starts afresh. */
  async restart(id: string): Promise<void> {
    const child = this.children.get(id);
    if (!child) throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no actor "${id}"`);
    child.timer?.cancel();
    child.timer = null;
    child.stableTimer?.cancel();
    child.stableTimer = null;
    child.restarts = [];
    child.actor.setRestarts(0);
    if (child.actor.state === 'ready' || child.actor.state === 'starting') {
      child.actor.transition('stopping');
      await child.actor.end(this.options.shutdownTimeoutMs);
    }
    await this.startIncarnation(child);
  }

  /** Stops every actor, last started first, each within the shutdown timeout. */
  async stopAll(): Promise<{ timedOut: string[] }> {
    this.stopping = true;
    const timedOut: string[] = [];
    for (const child of [...this.children.values()].reverse()) {
      if (await this.stopChild(child)) timedOut.push(child.actor.id);
    }
    return { timedOut };
  }

  async stop(id: string): Promise<void> {
    const child = this.children.get(id);
    if (child) await this.stopChild(child);
  }

  private async stopChild(child: Child<never, unknown>): Promise<boolean> {
    child.generation++;
    child.timer?.cancel();
    child.timer = null;
    child.stableTimer?.cancel();
    child.stableTimer = null;
    const { actor } = child;
    if (actor.state === 'stopped') return false;
    if (actor.state === 'faulted' || actor.state === 'restarting' || actor.state === 'failed') {
      actor.transition('stopped');
      return false;
    }
    actor.transition('stopping');
    const { timedOut } = await actor.end(this.options.shutdownTimeoutMs);
    actor.transition('stopped');
    return timedOut;
  }

  private async startIncarnation<M, R>(child: Child<M, R>): Promise<void> {
    const generation = ++child.generation;
    const { actor } = child;
    actor.transition('starting');
    try {
      await actor.begin(child.factory(), this.options.spawnTimeoutMs);
    } catch (error) {
      if (generation !== child.generation || this.stopping) return;
      this.handleFailure(
        child,
        error instanceof BenchtopError ? error : new BenchtopError('INTERNAL', String(error)),
      );
      return;
    }
    if (generation !== child.generation || this.stopping) return;
    actor.transition('ready');
    actor.resume();
    const { stableAfterMs } = this.options;
    if (stableAfterMs !== undefined && child.restarts.length > 0) {
      child.stableTimer = this.options.clock.setTimeout(() => {
        child.stableTimer = null;
        if (generation !== child.generation || actor.state !== 'ready') return;
        child.restarts = [];
        actor.setRestarts(0);
      }, stableAfterMs);
    }
  }

  /** One start attempt after `faultedRetryMs`; failing again, it is faulted again and retried later. */
  private scheduleFaultedRetry<M, R>(child: Child<M, R>): void {
    const retryMs = this.options.faultedRetryMs;
    if (retryMs === undefined || retryMs <= 0) return;
    const generation = child.generation;
    child.timer = this.options.clock.setTimeout(() => {
      child.timer = null;
      if (generation !== child.generation || this.stopping || child.actor.state !== 'faulted') return;
      void this.startIncarnation(child);
    }, retryMs);
  }

  private handleFailure<M, R>(child: Child<M, R>, error: BenchtopError): void {
    if (this.stopping) return;
    const { actor, policy } = child;
    const now = this.options.clock.monotonic();
    child.stableTimer?.cancel();
    child.stableTimer = null;
    actor.transition('failed', error);
    child.restarts = child.restarts.filter((t) => now - t < policy.windowMs);
    if (child.restarts.length >= policy.maxRestarts) {
      actor.transition('faulted', error);
      this.scheduleFaultedRetry(child);
      return;
    }
    const delay = backoffDelay(policy, child.restarts.length, this.random);
    child.restarts.push(now);
    actor.setRestarts(child.restarts.length);
    actor.transition('restarting', error, delay);
    const generation = child.generation;
    child.timer = this.options.clock.setTimeout(() => {
      child.timer = null;
      if (generation !== child.generation || this.stopping) return;
      void this.startIncarnation(child);
    }, delay);
  }
}
