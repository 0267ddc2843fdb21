import type { KV } from '@nats-io/kv';
import { type Static, Type } from '@sinclair/typebox';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import { decode, encode, PROTOCOL_VERSION } from './messages.ts';
import { kvKey } from './subjects.ts';

export const LeaseRecord = Type.Object({
  v: Type.Literal(PROTOCOL_VERSION),
  instrument: Type.String(),
  holder: Type.String(),
  acquiredAt: Type.Number(),
  renewedAt: Type.Number(),
});
export type LeaseRecord = Static<typeof LeaseRecord>;

/** Whether `holder` may take the lease `current` (absent, its own, or not renewed within `ttlMs`). */
export function mayTake(current: LeaseRecord | null, holder: string, now: number, ttlMs: number): boolean {
  return !current || current.holder === holder || now - current.renewedAt > ttlMs;
}

/**
 * Control leases in the site's `leases` bucket: before a hub writes to or calls an action of a
 * remote instrument it takes the instrument's key with `create()` (or, once the holder stopped
 * renewing, replaces it by revision), then renews it by revision. A second hub is refused with
 * CONTROL_LEASE_HELD; the agent checks the lease named in each command against the bucket, so
 * a hub that lost its lease cannot drive the instrument either.
 */
export class ControlLeases {
  private readonly kv: KV;
  private readonly holder: string;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly held = new Map<string, { revision: number; acquiredAt: number }>();
  private renewTimer: TimerHandle | null = null;

  constructor(options: { kv: KV; holder: string; clock: Clock; ttlMs: number }) {
    this.kv = options.kv;
    this.holder = options.holder;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
  }

  /** Holds the lease of `instrument` (taking it if free), or throws CONTROL_LEASE_HELD. */
  async ensure(instrument: string): Promise<string> {
    if (this.held.has(instrument)) return this.holder;
    const key = kvKey(instrument);
    const now = this.clock.now();
    const record: LeaseRecord = {
      v: PROTOCOL_VERSION,
      instrument,
      holder: this.holder,
      acquiredAt: now,
      renewedAt: now,
    };
    const entry = await this.kv.get(key);
    const current = entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
    if (!mayTake(current, this.holder, now, this.ttlMs)) throw this.refusal(current!, now);
    try {
      const revision =
        !entry || entry.operation !== 'PUT'
          ? await this.kv.create(key, encode(LeaseRecord, record))
          : await this.kv.update(key, encode(LeaseRecord, record), entry.revision);
      this.held.set(instrument, { revision, acquiredAt: now });
    } catch {
      // Another hub took it between our read and our write.
      const now2 = this.clock.now();
      const latest = await this.kv.get(key);
      const other = latest && latest.operation === 'PUT' ? decode(LeaseRecord, latest.value, 'lease') : null;
      throw this.refusal(other ?? record, now2);
    }
    this.scheduleRenewal();
    return this.holder;
  }

  private refusal(current: LeaseRecord, now: number): BenchtopError {
    return new BenchtopError(
      'CONTROL_LEASE_HELD',
      `${current.instrument} is controlled by ${current.holder} (lease renewed ${Math.round((now - current.renewedAt) / 1000)} s ago); it is released when that hub stops or ${Math.round(this.ttlMs / 1000)} s after its last renewal`,
      { instrument: current.instrument, holder: current.holder },
    );
  }

  private scheduleRenewal(): void {
    this.renewTimer ??= this.clock.setTimeout(() => {
      this.renewTimer = null;
      void this.renew().finally(() => {
        if (this.held.size > 0) this.scheduleRenewal();
      });
    }, this.ttlMs / 3);
  }

  /** Renews every held lease by revision; one whose revision moved was taken over and is dropped. */
  async renew(): Promise<void> {
    for (const [instrument, lease] of this.held) {
      const record: LeaseRecord = {
        v: PROTOCOL_VERSION,
        instrument,
        holder: this.holder,
        acquiredAt: lease.acquiredAt,
        renewedAt: this.clock.now(),
      };
      try {
        lease.revision = await this.kv.update(kvKey(instrument), encode(LeaseRecord, record), lease.revision);
      } catch {
        this.held.delete(instrument);
      }
    }
  }

  holds(instrument: string): boolean {
    return this.held.has(instrument);
  }

  /**
   * At start-up: leases in this hub's name that this process does not hold were left by its
   * previous process (killed, so never released). They are deleted by revision, so the
   * instruments are free at once (for this hub, which takes them again on its next write, and
   * for any other); a lease renewed meanwhile (by revision) is left alone. Returns the instruments.
   */
  async releaseLeftBehind(): Promise<string[]> {
    const released: string[] = [];
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      let record: LeaseRecord;
      try {
        record = decode(LeaseRecord, entry.value, 'lease');
      } catch {
        continue;
      }
      if (record.holder !== this.holder || this.held.has(record.instrument)) continue;
      try {
        await this.kv.delete(key, { previousSeq: entry.revision });
        released.push(record.instrument);
      } catch {
        // Changed since we read it: no longer the previous process's.
      }
    }
    return released;
  }

  /** Releases every lease this hub holds (a clean stop). */
  async releaseAll(): Promise<void> {
    this.renewTimer?.cancel();
    this.renewTimer = null;
    for (const [instrument, lease] of this.held) {
      await this.kv.delete(kvKey(instrument), { previousSeq: lease.revision }).catch(() => {});
    }
    this.held.clear();
  }
}

/** The agent's check: a write or action is allowed only for the hub whose lease the bucket holds now. */
export async function checkLease(kv: KV, instrument: string, lease: string | undefined): Promise<void> {
  const entry = await kv.get(kvKey(instrument));
  const current = entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
  if (current && lease !== undefined && current.holder === lease) return;
  throw new BenchtopError(
    'CONTROL_LEASE_HELD',
    current
      ? `${instrument} is controlled by ${current.holder}, not ${lease ?? 'this sender'}`
      : `${instrument}: no control lease is held for this command (take one first)`,
    { instrument, ...(current ? { holder: current.holder } : {}) },
  );
}
