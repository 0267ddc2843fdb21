import type { Clock, TimerHandle } from '../../../core/clock.ts';

/** How a wait for the device ended: let in, still locked by another link, or cancelled by device_abort. */
export type LockOutcome = 'ok' | 'locked' | 'aborted';

interface Waiter {
  lid: number;
  /** device_lock / create_link(lockDevice): take the lock; other calls only need it free. */
  take: boolean;
  done: (outcome: LockOutcome) => void;
}

/**
 * The simulated device's exclusive lock (VXI-11 rev 1.0 §B.6.15): at most one link holds it,
 * and every other link's device operations get error 11. A link that asks with WAITLOCK waits
 * up to its lock_timeout and is let in, in arrival order, as soon as the holder unlocks or its
 * link goes away. Timed on the given clock, so tests can step through lock_timeout.
 */
export class DeviceLock {
  private readonly clock: Clock;
  private waiters: Waiter[] = [];
  private owner: number | null = null;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get holder(): number | null {
    return this.owner;
  }

  /** Links waiting for the lock (for tests that must know a wait has begun). */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Waits until `lid` may use the device (and, with `take`, holds the lock). `waitMs` 0 answers
   * at once; an aborted `signal` ends the wait with 'aborted'.
   */
  wait(lid: number, take: boolean, waitMs: number, signal?: AbortSignal): Promise<LockOutcome> {
    if (this.free(lid)) {
      if (take) this.owner = lid;
      return Promise.resolve('ok');
    }
    if (waitMs <= 0) return Promise.resolve('locked');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const onAbort = () => waiter.done('aborted');
      const waiter: Waiter = {
        lid,
        take,
        done: (outcome) => {
          timer?.cancel();
          signal?.removeEventListener('abort', onAbort);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(outcome);
        },
      };
      this.waiters.push(waiter);
      timer = this.clock.setTimeout(() => waiter.done('locked'), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Releases the lock if `lid` holds it (device_unlock, destroy_link, connection closed). */
  release(lid: number): boolean {
    if (this.owner !== lid) return false;
    this.owner = null;
    for (const waiter of [...this.waiters]) {
      if (!this.free(waiter.lid)) continue;
      if (waiter.take) this.owner = waiter.lid;
      waiter.done('ok');
    }
    return true;
  }

  private free(lid: number): boolean {
    return this.owner === null || this.owner === lid;
  }
}
