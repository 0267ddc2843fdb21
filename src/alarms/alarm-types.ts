import type { Condition } from './limit-condition.ts';

export type AlarmPriority = 'low' | 'medium' | 'high' | 'critical';

/** ISA-18.2 states, derived from `active` and `acknowledged` (tracked separately) and shelving. */
export type AlarmLifecycle = 'normal' | 'unack_active' | 'ack_active' | 'unack_rtn' | 'shelved';

/**
 * A limit condition, an instrument's link lost (COMM), the data disk full (DISK_FULL), on a
 * site of several machines an agent's clock too far off (CLOCK_OFFSET) or its parameter-log
 * buffer dropping samples (BUFFER_FULL), or RAISED: an application alarm its source raises and
 * clears itself (the line's W204, F205…).
 */
export type AlarmCondition = Condition | 'COMM' | 'DISK_FULL' | SiteCondition | 'RAISED';

/** The conditions of `site` alarms, raised and cleared by whoever watches the site (src/distributed). */
export type SiteCondition = 'CLOCK_OFFSET' | 'BUFFER_FULL';

export interface AlarmSnapshot {
  id: string;
  kind: 'limit' | 'communication' | 'storage' | 'site' | 'line';
  instrument: string;
  signal: string | null;
  description: string;
  priority: AlarmPriority;
  condition: AlarmCondition;
  severity: 'major' | 'minor' | 'none';
  active: boolean;
  acknowledged: boolean;
  state: AlarmLifecycle;
  value: number | null;
  activated_at: string | null;
  cleared_at: string | null;
  acked_at: string | null;
  acked_by: string | null;
  ack_comment: string | null;
  shelved: { by: string; reason: string; until: string } | null;
  activations: number;
  suspend_runs: boolean;
}

export type AlarmEventKind =
  | 'activated'
  | 'escalated'
  | 'cleared'
  | 'acknowledged'
  | 'shelved'
  | 'unshelved'
  | 'normal';

export interface AlarmEvent {
  time: string;
  alarm: string;
  event: AlarmEventKind;
  condition: string;
  severity: string;
  value: number | null;
  user: string | null;
  comment: string | null;
}

export function lifecycleOf(a: Pick<AlarmSnapshot, 'active' | 'acknowledged' | 'shelved'>): AlarmLifecycle {
  if (a.shelved) return 'shelved';
  if (a.active) return a.acknowledged ? 'ack_active' : 'unack_active';
  return a.acknowledged ? 'normal' : 'unack_rtn';
}

// The alarm service's bus topics (core's BenchtopEvents knows nothing of alarms).
declare module '../core/events.ts' {
  interface BenchtopEvents {
    /** An alarm changed state (activated, escalated, cleared, acknowledged, shelved, unshelved). */
    'alarm.changed': { alarm: AlarmSnapshot; event: AlarmEvent };
    /** An alarm configured with suspend_runs became active (suspend) or cleared (resume). */
    'alarm.suspend_runs': { alarm: string; active: boolean; reason: string };
  }
}
