import type { KV, KvEntry } from '@nats-io/kv';
import { checkLease, LeaseRecord } from './control-lease.ts';
import { decode } from './messages.ts';
import { kvKey } from './subjects.ts';

/**
 * The agent's copy of the site's `leases` bucket, kept by a KV watch, so the lease check on
 * every write/call/restart costs no JetStream round trip (a direct get was a second network
 * hop on every remote command, and the slowest one at p99). Only an acceptance is answered
 * from the copy: a command whose lease the copy does not show (not there yet, released,
 * taken over) is judged by reading the bucket itself, as before. See decision 0018.
 */
export class LeaseView {
  private readonly kv: KV;
  private readonly holders = new Map<string, { holder: string; revision: number }>();
  private stopWatch: (() => void) | null = null;
  /** Commands answered from the copy, and those that read the bucket (for tests and /health). */
  readonly counts = { fromCopy: 0, fromBucket: 0 };
  private changed: (() => void)[] = [];

  constructor(kv: KV) {
    this.kv = kv;
  }

  /** Starts the watch (current values, then every change) and returns once it is set up. */
  async start(): Promise<void> {
    const iterator = await this.kv.watch();
    this.stopWatch = () => iterator.stop();
    void (async () => {
      for await (const entry of iterator) this.apply(entry);
    })().catch(() => {
      // The watch ended with the connection: later checks read the bucket.
      this.holders.clear();
    });
  }

  private apply(entry: KvEntry): void {
    const known = this.holders.get(entry.key);
    if (known && known.revision >= entry.revision) return;
    if (entry.operation !== 'PUT') this.holders.delete(entry.key);
    else {
      try {
        const record = decode(LeaseRecord, entry.value, 'lease');
        // An operator's local lease accepts no hub: such commands go to the bucket, which refuses them.
        if (record.local) this.holders.delete(entry.key);
        else this.holders.set(entry.key, { holder: record.holder, revision: entry.revision });
      } catch {
        this.holders.delete(entry.key);
      }
    }
    for (const resolve of this.changed.splice(0)) resolve();
  }

  /** Resolves at the next change the watch delivers (tests await it instead of sleeping). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.changed.push(resolve));
  }

  /** Allows the command, or throws CONTROL_LEASE_HELD as `checkLease` does. */
  async check(instrument: string, lease: string | undefined): Promise<void> {
    if (lease !== undefined && this.holders.get(kvKey(instrument))?.holder === lease) {
      this.counts.fromCopy++;
      return;
    }
    this.counts.fromBucket++;
    await checkLease(this.kv, instrument, lease);
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = null;
  }
}
