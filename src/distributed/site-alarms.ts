import type { AlarmService } from '../alarms/alarm-service.ts';
import type { Heartbeat } from './messages.ts';

/** What the hub knows of one agent (RemoteDirectory.agentsView). */
export interface AgentAlarmView {
  agentId: string;
  host: string;
  liveness: string;
  offsetMs: number | null;
  outbox: Heartbeat['outbox'] | null;
}

export const clockAlarmId = (agentId: string) => `clock:${agentId}`;
export const bufferAlarmId = (agentId: string) => `log_buffer:${agentId}`;

/**
 * The hub's alarms about its agents, as ordinary AlarmService alarms (listed, acknowledged and
 * kept in history like every other): `clock:<agent>` while the agent's clock is more than
 * `[bus] clock_offset_alarm_ms` off the hub's, `log_buffer:<agent>` while its parameter-log
 * buffer is dropping samples (from the first drop until it drained below half). A stale agent
 * keeps its last known conditions: the communication alarms of its instruments speak for it.
 */
export class SiteAlarms {
  private readonly alarms: AlarmService;
  private readonly clockLimitMs: number;
  /** Drops last reported per agent and epoch-free: a rise means new drops even if `overflowing` flickered. */
  private readonly dropped = new Map<string, number>();

  constructor(alarms: AlarmService, clockLimitMs: number) {
    this.alarms = alarms;
    this.clockLimitMs = clockLimitMs;
  }

  /** Called every liveness period with the hub's view of every agent. */
  update(agents: readonly AgentAlarmView[]): void {
    for (const agent of agents) {
      if (agent.liveness !== 'alive') continue;
      this.clock(agent);
      this.buffer(agent);
    }
  }

  private clock(agent: AgentAlarmView): void {
    if (agent.offsetMs === null) return;
    const id = clockAlarmId(agent.agentId);
    this.alarms.addSiteAlarm({
      id,
      instrument: agent.agentId,
      description: `Clock of agent ${agent.agentId} (${agent.host}) more than ${this.clockLimitMs} ms off the hub's`,
      priority: 'medium',
    });
    const off = Math.abs(agent.offsetMs) > this.clockLimitMs;
    this.alarms.setSiteCondition(id, off ? 'CLOCK_OFFSET' : 'NORMAL', Math.round(agent.offsetMs));
  }

  private buffer(agent: AgentAlarmView): void {
    const outbox = agent.outbox;
    if (!outbox) return;
    const id = bufferAlarmId(agent.agentId);
    this.alarms.addSiteAlarm({
      id,
      instrument: agent.agentId,
      description: `Parameter-log buffer of agent ${agent.agentId} (${agent.host}) full: samples dropped`,
      priority: 'high',
    });
    const before = this.dropped.get(agent.agentId);
    this.dropped.set(agent.agentId, outbox.droppedSamples);
    // The agent's count restarts with its process; a smaller number is a restart, not a recovery.
    const newDrops = before !== undefined && outbox.droppedSamples > before;
    const raise = outbox.overflowing || newDrops || (before === undefined && outbox.droppedSamples > 0);
    this.alarms.setSiteCondition(id, raise ? 'BUFFER_FULL' : 'NORMAL', outbox.droppedSamples);
  }
}
