import type { KV } from '@nats-io/kv';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import { describeHolder, LeaseRecord, leaseTtlMs, mayTake } from './control-lease.ts';
import { decode, encode, PROTOCOL_VERSION } from './messages.ts';
import { fromKvKey, kvKey } from './subjects.ts';

/** Who takes a local lease, and for how long it lasts after each renewal. */
export interface OperatorLeaseOptions {
  kv: KV;
  clock: Clock;
  /** The agent whose instrument it is (`[agent] id`). */
  agent: string;
  operator: string;
  note?: string;
  ttlMs: number;
  /** Hubs' `lease_ttl_ms`: how long a hub lease without a TTL of its own lasts. */
  hubTtlMs: number;
}

/**
 * A control lease taken by an operator at the instrument's host (`benchtop agent lease take`),
 * in the same `leases` bucket the hubs use: taken with `create()` (or, once a holder stopped
 * renewing, by revision), renewed by revision, released by revision. While it is there the agent
 * refuses every hub's write, call and restart (checkLease), and hubs refuse to take it.
 */
export class OperatorLease {
  private readonly options: OperatorLeaseOptions;
  private readonly instrument: string;
  private revision = 0;
  private acquiredAt = 0;
  private renewTimer: TimerHandle | null = null;

  constructor(instrument: string, options: OperatorLeaseOptions) {
    this.instrument = instrument;
    this.options = options;
  }

  get holder(): string {
    return `operator:${this.options.operator}@${this.options.agent}`;
  }

  private record(now: number): LeaseRecord {
    const { agent, operator, note, ttlMs } = this.options;
    return {
      v: PROTOCOL_VERSION,
      instrument: this.instrument,
      holder: this.holder,
      acquiredAt: this.acquiredAt,
      renewedAt: now,
      ttlMs,
      local: { agent, operator, ...(note ? { note } : {}) },
    };
  }

  /** Takes the lease, or throws CONTROL_LEASE_HELD naming whoever holds it (a hub or another operator). */
  async take(): Promise<LeaseRecord> {
    const { kv, clock, hubTtlMs } = this.options;
    const key = kvKey(this.instrument);
    const entry = await kv.get(key);
    const current = entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
    const now = clock.now();
    if (current && !mayTake(current, this.holder, now, hubTtlMs)) throw held(current, now, hubTtlMs);
    this.acquiredAt = now;
    const record = this.record(now);
    try {
      this.revision =
        !entry || entry.operation !== 'PUT'
          ? await kv.create(key, encode(LeaseRecord, record))
          : await kv.update(key, encode(LeaseRecord, record), entry.revision);
    } catch (error) {
      // Someone wrote the key between our read and our write.
      const latest = await kv.get(key);
      const other = latest && latest.operation === 'PUT' ? decode(LeaseRecord, latest.value, 'lease') : null;
      if (other) throw held(other, clock.now(), hubTtlMs);
      throw new BenchtopError(
        'CONTROL_LEASE_HELD',
        `${this.instrument}: the lease changed while it was being taken (${(error as Error).message}); try again`,
        { instrument: this.instrument },
      );
    }
    return record;
  }

  /**
   * Renews every third of the TTL while the command runs. `onLost` is told once if the lease was
   * taken over (its revision moved: it had lapsed); a renewal the server did not answer is
   * retried at the next period, and the lease lapses only if none succeeds within the TTL.
   */
  keepRenewed(onLost: (why: string) => void, onRetry: (error: unknown) => void = () => {}): void {
    const { clock, ttlMs } = this.options;
    this.renewTimer = clock.setTimeout(() => {
      void this.renew().then(
        (outcome) => {
          if (outcome === 'lost')
            onLost(`${this.instrument}: the local lease was taken over after it lapsed`);
          else this.keepRenewed(onLost, onRetry);
        },
        (error: unknown) => {
          onRetry(error);
          this.keepRenewed(onLost, onRetry);
        },
      );
    }, ttlMs / 3);
  }

  /** One renewal by revision: `lost` if another writer moved the key. */
  async renew(): Promise<'renewed' | 'lost'> {
    const { kv, clock } = this.options;
    const key = kvKey(this.instrument);
    try {
      this.revision = await kv.update(key, encode(LeaseRecord, this.record(clock.now())), this.revision);
      return 'renewed';
    } catch (error) {
      const latest = await kv.get(key);
      if (latest && latest.revision === this.revision && latest.operation === 'PUT') throw error;
      return 'lost';
    }
  }

  /**
   * Releases the lease if it is still this one (a clean end, Ctrl-C): true once deleted, false if
   * it was no longer ours (taken over); throws if the server could not be asked (it then lapses).
   */
  async release(): Promise<boolean> {
    this.renewTimer?.cancel();
    this.renewTimer = null;
    const revision = this.revision;
    if (revision === 0) return false;
    this.revision = 0;
    const { kv } = this.options;
    const key = kvKey(this.instrument);
    try {
      await kv.delete(key, { previousSeq: revision });
      return true;
    } catch (error) {
      const latest = await kv.get(key);
      if (latest && latest.revision === revision) throw error;
      return false;
    }
  }
}

function held(current: LeaseRecord, now: number, hubTtlMs: number): BenchtopError {
  const ago = Math.round((now - current.renewedAt) / 1000);
  const left = Math.max(0, Math.round((leaseTtlMs(current, hubTtlMs) - (now - current.renewedAt)) / 1000));
  return new BenchtopError(
    'CONTROL_LEASE_HELD',
    `${current.instrument} is controlled by ${describeHolder(current)} (lease renewed ${ago} s ago, lapses in ${left} s unless renewed)${current.local ? '' : `; that hub gives it up with DELETE /api/v1/instruments/${current.instrument}/control, or when it stops`}`,
    {
      instrument: current.instrument,
      holder: current.holder,
      ...(current.local ? { local: current.local } : {}),
    },
  );
}

/**
 * Releases an operator's lease on `instrument` (`benchtop agent lease release`): one left by a
 * `lease take --ttl` or by a command that was killed. A hub's lease is not the operator's to drop.
 */
export async function releaseOperatorLease(
  kv: KV,
  instrument: string,
  agent: string,
): Promise<LeaseRecord | null> {
  const key = kvKey(instrument);
  const entry = await kv.get(key);
  const current = entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
  if (!current || !entry) return null;
  if (!current.local || current.local.agent !== agent)
    throw new BenchtopError(
      'CONTROL_LEASE_HELD',
      `${instrument} is controlled by ${describeHolder(current)}, not by an operator at agent ${agent}: only its holder releases it`,
      { instrument, holder: current.holder },
    );
  await kv.delete(key, { previousSeq: entry.revision });
  return current;
}

/** Every lease in the bucket (hubs' and operators'), by instrument. */
export async function listLeases(kv: KV): Promise<LeaseRecord[]> {
  const out: LeaseRecord[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') continue;
    try {
      out.push(decode(LeaseRecord, entry.value, `lease ${fromKvKey(key)}`));
    } catch {
      // A record from a newer Benchtop: not ours to show.
    }
  }
  return out.sort((a, b) => a.instrument.localeCompare(b.instrument));
}
