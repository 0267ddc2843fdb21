import type { AgentBirth, InstrumentRecord } from './messages.ts';

/**
 * Whether an agent is there, judged from its record in the `agents` bucket: nats-server 2.9 has
 * no per-key TTL, so an agent that vanished without a death certificate (kill -9, cable pulled)
 * is recognised by the age of its last heartbeat.
 */
export type Liveness = 'alive' | 'stale' | 'dead';

export function judgeLiveness(agent: AgentBirth | null, now: number, staleAfterMs: number): Liveness {
  if (!agent || agent.status === 'dead') return 'dead';
  return now - agent.lastHeartbeat > staleAfterMs ? 'stale' : 'alive';
}

export type ClaimDecision =
  | { action: 'create' }
  | { action: 'update'; takeover: string | null }
  | { action: 'refuse'; owner: string; message: string };

/**
 * May agent `self` register instrument `id`? Ids are unique across the site: one registered by
 * another agent that is alive is refused; one left by a dead or stale agent is taken over (the
 * instrument was moved, or its old host is gone), and the caller logs that.
 */
export function claimInstrument(
  id: string,
  self: string,
  existing: InstrumentRecord | null,
  owner: AgentBirth | null,
  now: number,
  staleAfterMs: number,
): ClaimDecision {
  if (!existing) return { action: 'create' };
  if (existing.agentId === self) return { action: 'update', takeover: null };
  const liveness = judgeLiveness(owner, now, staleAfterMs);
  if (liveness === 'alive') {
    return {
      action: 'refuse',
      owner: existing.agentId,
      message: `instrument id "${id}" is already registered by agent "${existing.agentId}" on ${existing.host}, which is alive: instrument ids must be unique across the site (rename it in one of the two configurations)`,
    };
  }
  return { action: 'update', takeover: existing.agentId };
}
