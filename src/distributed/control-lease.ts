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
  /** How long after `renewedAt` the lease lapses, when the holder says (a local operator's); else the reader's `lease_ttl_ms`. */
  ttlMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** Present when an operator at the agent host holds it (`benchtop agent lease take`): no hub may drive the instrument. */
  local: Type.Optional(
    Type.Object({
      agent: Type.String(),
      operator: Type.String(),
      note: Type.Optional(Type.String()),
    }),
  ),
});
export type LeaseRecord = Static<typeof LeaseRecord>;

/** How long `record` lasts after its last renewal: its own TTL if it carries one, else the reader's. */
export function leaseTtlMs(record: LeaseRecord, defaultTtlMs: number): number {
  return record.ttlMs ?? defaultTtlMs;
}

/** Whether `holder` may take the lease `current` (absent, its own hub lease, or not renewed within its TTL). */
export function mayTake(current: LeaseRecord | null, holder: string, now: number, ttlMs: number): boolean {
  if (!current) return true;
  if (now - current.renewedAt > leaseTtlMs(current, ttlMs)) return true;
  // A hub restarted under the same name takes its lease back; a local operator's is never "ours".
  return current.holder === holder && current.local === undefined;
}

/** Who holds a lease, in words: `hub@lab1`, or `operator alice at agent host1 ("aligning")`. */
export function describeHolder(record: LeaseRecord): string {
  if (!record.local) return record.holder;
  const note = record.local.note ? ` ("${record.local.note}")` : '';
  return `operator ${record.local.operator} at agent ${record.local.agent}${note}`;
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
    const ago = Math.round((now - current.renewedAt) / 1000);
    const ttlS = Math.round(leaseTtlMs(current, this.ttlMs) / 1000);
    const until = current.local
      ? `it is released when the operator ends \`benchtop agent lease take\` (or runs \`lease release\`) on that host, or ${ttlS} s after its last renewal`
      : `it is released when that hub stops or ${ttlS} s after its last renewal`;
    return new BenchtopError(
      'CONTROL_LEASE_HELD',
      `${current.instrument} is controlled by ${describeHolder(current)} (lease renewed ${ago} s ago); ${until}`,
      {
        instrument: current.instrument,
        holder: current.holder,
        ...(current.local ? { local: current.local } : {}),
      },
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

  /** Gives up the lease of `instrument` if this hub holds it (so an operator at the host, or another hub, may take it). */
  async release(instrument: string): Promise<boolean> {
    const lease = this.held.get(instrument);
    if (!lease) return false;
    this.held.delete(instrument);
    await this.kv.delete(kvKey(instrument), { previousSeq: lease.revision }).catch(() => {});
    return true;
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

/**
 * The agent's check: a write or action is allowed only for the hub whose lease the bucket holds
 * now. While an operator at this host holds it (a local lease) every hub is refused.
 */
export async function checkLease(kv: KV, instrument: string, lease: string | undefined): Promise<void> {
  const entry = await kv.get(kvKey(instrument));
  const current = entry && entry.operation === 'PUT' ? decode(LeaseRecord, entry.value, 'lease') : null;
  if (current && !current.local && lease !== undefined && current.holder === lease) return;
  throw new BenchtopError(
    'CONTROL_LEASE_HELD',
    current
      ? `${instrument} is controlled by ${describeHolder(current)}, not ${lease ?? 'this sender'}`
      : `${instrument}: no control lease is held for this command (take one first)`,
    {
      instrument,
      ...(current ? { holder: current.holder } : {}),
      ...(current?.local ? { local: current.local } : {}),
    },
  );
}
