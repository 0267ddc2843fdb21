import type { Clock } from '../../core/clock.ts';

/** Failed logins an account may have before it has to wait. */
export const FREE_FAILURES = 5;
/** The first wait after FREE_FAILURES; each further failure doubles it, up to MAX_WAIT_MS. */
const FIRST_WAIT_MS = 1_000;
const MAX_WAIT_MS = 15 * 60_000;
/** Accounts tracked at once (names tried need not exist): the oldest is forgotten past this. */
const TRACKED_LIMIT = 10_000;

/**
 * Per-account brake on password guessing, whatever address the guesses come from (the per-IP
 * rate limit does not see a distributed attack). A success clears the account's record.
 */
export class LoginBackoff {
  private readonly clock: Clock;
  private readonly failures = new Map<string, { count: number; blockedUntil: number }>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Milliseconds the account must still wait before another attempt; 0 when it may try. */
  waitMs(account: string): number {
    const entry = this.failures.get(account);
    return entry ? Math.max(0, entry.blockedUntil - this.clock.monotonic()) : 0;
  }

  failed(account: string): void {
    const entry = this.failures.get(account) ?? { count: 0, blockedUntil: 0 };
    entry.count++;
    if (entry.count >= FREE_FAILURES) {
      const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (entry.count - FREE_FAILURES));
      entry.blockedUntil = this.clock.monotonic() + wait;
    }
    this.failures.delete(account);
    if (this.failures.size >= TRACKED_LIMIT) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(account, entry);
  }

  succeeded(account: string): void {
    this.failures.delete(account);
  }
}
