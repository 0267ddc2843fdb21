import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * The KV buckets of a site: `agents` (birth certificate + last heartbeat), `instruments`
 * (descriptions and owner), `state` (last known actor state). One value per key; on 2.9 there
 * is no per-key TTL, so liveness is judged from heartbeat age (liveness.ts).
 */
export interface SiteBuckets {
  agents: KV;
  instruments: KV;
  state: KV;
  /** Control leases: which hub drives which instrument (control-lease.ts). */
  leases: KV;
  /** Hubs' logging groups over agents' signals, sampled by the owning agents (delegated-logging.ts). */
  logGroups: KV;
}

export async function openBuckets(nc: NatsConnection, site: string): Promise<SiteBuckets> {
  const kvm = new Kvm(nc);
  const open = (name: string) =>
    kvm.create(`${site.replace(/[^A-Za-z0-9_-]/g, '_')}_${name}`, { history: 1 });
  const [agents, instruments, state, leases, logGroups] = await Promise.all([
    open('agents'),
    open('instruments'),
    open('state'),
    open('leases'),
    open('log_groups'),
  ]);
  return { agents, instruments, state, leases, logGroups };
}
