import type { AlarmEntry } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { Reading } from '../core/reading.ts';
import type { AlarmStore } from './alarm-store.ts';
import {
  type AlarmCondition,
  type AlarmEvent,
  type AlarmEventKind,
  type AlarmSnapshot,
  lifecycleOf,
  type SiteCondition,
} from './alarm-types.ts';
import { type Condition, evaluate, type Limits, severityOf } from './limit-condition.ts';

interface AlarmRuntime {
  snapshot: AlarmSnapshot;
  limits: Limits | null;
  onDelayMs: number;
  offDelayMs: number;
  maxShelveMs: number;
  /** A raised alarm's severity while active (from its definition); null: from the condition. */
  raisedSeverity: 'major' | 'minor' | null;
  /** Condition after hysteresis, before the on/off delays. */
  tracked: Condition;
  onTimer: TimerHandle | null;
  offTimer: TimerHandle | null;
  shelveTimer: TimerHandle | null;
}

const NOT_ACTIVE = ['failed', 'restarting', 'faulted'];
const FLOOD_WINDOW_MS = 10 * 60_000;
const FLOOD_COUNT = 10;
const CHATTER_WINDOW_MS = 60_000;
const CHATTER_COUNT = 3;

export interface AlarmServiceOptions {
  alarms: AlarmEntry[];
  instruments: { id: string; type: string }[];
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  store: AlarmStore;
  logger: Logger;
  /** The data directory: adds the `storage` alarm, active while its disk is full ('storage.disk'). */
  storagePath?: string;
}

/**
 * An application alarm that its source raises and clears (a production line's W204, F205,
 * S101 …): the service gives it the same life cycle, history, API and metrics as its own.
 */
export interface RaisedAlarmDefinition {
  id: string;
  kind: 'line';
  /** What raises it (a line id), shown where instrument alarms show their instrument. */
  source: string;
  description: string;
  priority: AlarmSnapshot['priority'];
  /** EPICS severity while active: F… faults major, W… warnings minor. */
  severity: 'major' | 'minor';
  /** Longest it may be shelved, s (default 8 h). */
  maxShelveS?: number;
}

/** The alarm raised while the data disk is full. */
export const STORAGE_ALARM = 'storage';

/**
 * Limit alarms on signals (EPICS HIHI/HIGH/LOW/LOLO with hysteresis and on/off delays) and one
 * communication alarm per instrument, with the ISA-18.2 life cycle: `active` and `acknowledged`
 * tracked separately (so "cleared but never acknowledged" exists), shelving with a reason and a
 * maximum duration, and every change persisted with its history. While an instrument's link is
 * down its limit alarms are frozen: one communication alarm, never a flood of limit alarms.
 */
export class AlarmService {
  private readonly options: AlarmServiceOptions;
  private readonly alarms = new Map<string, AlarmRuntime>();
  private readonly bySignal = new Map<string, AlarmRuntime[]>();
  private readonly activations: { at: number; alarm: string }[] = [];
  private readonly offs: (() => void)[] = [];

  constructor(options: AlarmServiceOptions) {
    this.options = options;
    const saved = options.store.loadStates();
    for (const inst of options.instruments) this.addCommunication(inst, saved);
    if (options.storagePath !== undefined) {
      this.add(
        {
          id: STORAGE_ALARM,
          kind: 'storage',
          instrument: 'storage',
          signal: null,
          description: `Data disk full: runs and logs cannot be written (${options.storagePath})`,
          priority: 'critical',
          suspend_runs: false,
        },
        null,
        { on: 0, off: 0, maxShelve: 28_800_000 },
        saved,
      );
    }
    for (const entry of options.alarms) {
      const id = entry.id ?? entry.signal;
      const limits: Limits = { hysteresis: entry.hysteresis };
      if (entry.hihi !== undefined) limits.hihi = entry.hihi;
      if (entry.high !== undefined) limits.high = entry.high;
      if (entry.low !== undefined) limits.low = entry.low;
      if (entry.lolo !== undefined) limits.lolo = entry.lolo;
      const runtime = this.add(
        {
          id,
          kind: 'limit',
          instrument: entry.signal.split('.')[0]!,
          signal: entry.signal,
          description: entry.description ?? `${entry.signal} outside limits`,
          priority: entry.priority,
          suspend_runs: entry.suspend_runs,
        },
        limits,
        { on: entry.on_delay_s * 1000, off: entry.off_delay_s * 1000, maxShelve: entry.max_shelve_s * 1000 },
        saved,
      );
      const list = this.bySignal.get(entry.signal) ?? [];
      list.push(runtime);
      this.bySignal.set(entry.signal, list);
    }
  }

  /**
   * The communication alarm of an instrument that appeared after start-up (an agent's, seen by
   * a hub): the same alarm a configured instrument has. Does nothing if it exists.
   */
  addInstrument(inst: { id: string; type: string }): void {
    if (this.alarms.has(`comm:${inst.id}`)) return;
    this.addCommunication(inst, this.options.store.loadStates());
  }

  /**
   * An alarm about the site rather than one signal (an agent's clock, its log buffer): raised
   * and cleared by its owner through `setSiteCondition`, with the same life cycle, history and
   * acknowledgement as every other alarm. Does nothing if it exists.
   */
  addSiteAlarm(def: {
    id: string;
    instrument: string;
    description: string;
    priority: AlarmSnapshot['priority'];
  }): void {
    if (this.alarms.has(def.id)) return;
    this.add(
      { ...def, kind: 'site', signal: null, suspend_runs: false },
      null,
      { on: 0, off: 0, maxShelve: 28_800_000 },
      this.options.store.loadStates(),
    );
  }

  /** Raises (a site condition) or clears ('NORMAL') a site alarm; `value` is what it measured. */
  setSiteCondition(id: string, condition: SiteCondition | 'NORMAL', value: number | null): void {
    const r = this.runtime(id);
    if (r.snapshot.kind !== 'site')
      throw new BenchtopError('VALIDATION_FAILED', `alarm "${id}" is not a site alarm`, { alarm: id });
    this.setCondition(r, condition, value);
  }

  /** Declares an application alarm (idempotent), keeping its saved state and acknowledgement. */
  defineRaised(def: RaisedAlarmDefinition): void {
    if (this.alarms.has(def.id)) return;
    const runtime = this.add(
      {
        id: def.id,
        kind: def.kind,
        instrument: def.source,
        signal: null,
        description: def.description,
        priority: def.priority,
        suspend_runs: false,
      },
      null,
      { on: 0, off: 0, maxShelve: (def.maxShelveS ?? 28_800) * 1000 },
      this.options.store.loadStates(),
    );
    runtime.raisedSeverity = def.severity;
    // Saved active by a process that has gone: its source starts afresh and raises it again if
    // the cause is still there, so it must not stay active with nobody left to clear it.
    if (runtime.snapshot.active) this.clear(runtime);
    this.armShelveTimer(runtime);
  }

  /**
   * Raises (active) or clears an alarm declared with defineRaised. `message` says why (kept in
   * the activation's history entry); `value` is a number worth showing (records queued …).
   * Raising an active alarm or clearing a normal one changes nothing.
   */
  setRaised(id: string, active: boolean, detail: { message?: string; value?: number } = {}): void {
    const r = this.runtime(id);
    if (r.raisedSeverity === null)
      throw new BenchtopError('VALIDATION_FAILED', `${id} is not raised by its source`, { alarm: id });
    if (active === r.snapshot.active) return;
    if (detail.value !== undefined) r.snapshot.value = detail.value;
    if (active) this.activate(r, 'RAISED', detail.message ?? null);
    else this.clear(r);
  }

  private addCommunication(inst: { id: string; type: string }, saved: Map<string, AlarmSnapshot>): void {
    this.add(
      {
        id: `comm:${inst.id}`,
        kind: 'communication',
        instrument: inst.id,
        signal: null,
        description: `Communication with ${inst.id} (${inst.type}) lost`,
        priority: 'high',
        suspend_runs: false,
      },
      null,
      { on: 0, off: 0, maxShelve: 28_800_000 },
      saved,
    );
  }

  start(): void {
    const { bus } = this.options;
    this.offs.push(bus.on('instrument.reading', (r) => this.onReading(r)));
    this.offs.push(
      bus.on('actor.state', (c) => {
        const comm = this.alarms.get(`comm:${c.id}`);
        if (!comm) return;
        if (NOT_ACTIVE.includes(c.state)) this.setCondition(comm, 'COMM', null);
        else if (c.state === 'ready') this.setCondition(comm, 'NORMAL', null);
      }),
    );
    this.offs.push(
      bus.on('storage.disk', (disk) => {
        const alarm = this.alarms.get(STORAGE_ALARM);
        if (alarm) this.setCondition(alarm, disk.full ? 'DISK_FULL' : 'NORMAL', null);
      }),
    );
    for (const runtime of this.alarms.values()) this.armShelveTimer(runtime);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const r of this.alarms.values()) for (const t of [r.onTimer, r.offTimer, r.shelveTimer]) t?.cancel();
  }

  list(): AlarmSnapshot[] {
    return [...this.alarms.values()].map((r) => ({ ...r.snapshot }));
  }

  get(id: string): AlarmSnapshot {
    return { ...this.runtime(id).snapshot };
  }

  history(options: { alarm?: string; since?: string; limit?: number } = {}): AlarmEvent[] {
    return this.options.store.history(options);
  }

  acknowledge(id: string, user: string, comment: string): AlarmSnapshot {
    const r = this.runtime(id);
    if (r.snapshot.acknowledged)
      throw new BenchtopError('ALARM_STATE_CONFLICT', `${id} is already acknowledged`, {
        alarm: id,
        state: r.snapshot.state,
      });
    r.snapshot.acknowledged = true;
    r.snapshot.acked_at = this.iso();
    r.snapshot.acked_by = user;
    r.snapshot.ack_comment = comment;
    this.commit(r, 'acknowledged', user, comment);
    return this.get(id);
  }

  shelve(id: string, user: string, reason: string, durationS: number): AlarmSnapshot {
    const r = this.runtime(id);
    if (!reason.trim()) throw new BenchtopError('VALIDATION_FAILED', 'shelving needs a reason');
    if (durationS <= 0 || durationS * 1000 > r.maxShelveMs) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `${id} can be shelved for at most ${r.maxShelveMs / 1000} s`,
        { max_s: r.maxShelveMs / 1000 },
      );
    }
    r.snapshot.shelved = {
      by: user,
      reason,
      until: new Date(this.options.clock.now() + durationS * 1000).toISOString(),
    };
    this.commit(r, 'shelved', user, reason);
    this.armShelveTimer(r);
    return this.get(id);
  }

  unshelve(id: string, user: string, comment: string): AlarmSnapshot {
    const r = this.runtime(id);
    if (!r.snapshot.shelved)
      throw new BenchtopError('ALARM_STATE_CONFLICT', `${id} is not shelved`, { alarm: id });
    this.doUnshelve(r, user, comment);
    return this.get(id);
  }

  /** Alarm flood (ISA-18.2: more than 10 activations in 10 minutes) and chattering alarms (3+ in a minute). */
  rates(): { floodActivations: number; flood: boolean; chattering: string[] } {
    const now = this.options.clock.monotonic();
    while (this.activations.length && now - this.activations[0]!.at > FLOOD_WINDOW_MS)
      this.activations.shift();
    const perAlarm = new Map<string, number>();
    for (const a of this.activations)
      if (now - a.at <= CHATTER_WINDOW_MS) perAlarm.set(a.alarm, (perAlarm.get(a.alarm) ?? 0) + 1);
    return {
      floodActivations: this.activations.length,
      flood: this.activations.length > FLOOD_COUNT,
      chattering: [...perAlarm].filter(([, n]) => n >= CHATTER_COUNT).map(([id]) => id),
    };
  }

  private add(
    base: Pick<
      AlarmSnapshot,
      'id' | 'kind' | 'instrument' | 'signal' | 'description' | 'priority' | 'suspend_runs'
    >,
    limits: Limits | null,
    delays: { on: number; off: number; maxShelve: number },
    saved: Map<string, AlarmSnapshot>,
  ): AlarmRuntime {
    const previous = saved.get(base.id);
    const snapshot: AlarmSnapshot = {
      condition: 'NORMAL',
      severity: 'none',
      active: false,
      acknowledged: true,
      value: null,
      activated_at: null,
      cleared_at: null,
      acked_at: null,
      acked_by: null,
      ack_comment: null,
      shelved: null,
      activations: 0,
      ...previous,
      ...base,
      state: 'normal',
    };
    snapshot.state = lifecycleOf(snapshot);
    const runtime: AlarmRuntime = {
      snapshot,
      limits,
      onDelayMs: delays.on,
      offDelayMs: delays.off,
      maxShelveMs: delays.maxShelve,
      raisedSeverity: null,
      tracked: snapshot.active && limitCondition(snapshot.condition) ? snapshot.condition : 'NORMAL',
      onTimer: null,
      offTimer: null,
      shelveTimer: null,
    };
    this.alarms.set(base.id, runtime);
    return runtime;
  }

  private runtime(id: string): AlarmRuntime {
    const r = this.alarms.get(id);
    if (!r)
      throw new BenchtopError('ALARM_NOT_FOUND', `no alarm "${id}"`, {
        alarm: id,
        known: [...this.alarms.keys()],
      });
    return r;
  }

  private onReading(reading: Reading): void {
    const list = this.bySignal.get(`${reading.instrument}.${reading.signal}`);
    if (!list || reading.quality !== 'good' || typeof reading.value !== 'number') return;
    // Values from an instrument whose link is down are not trusted: its communication alarm speaks for it.
    if (this.alarms.get(`comm:${reading.instrument}`)?.snapshot.active) return;
    for (const r of list) {
      r.tracked = evaluate(r.limits!, reading.value, r.tracked);
      this.setCondition(r, r.tracked, reading.value);
    }
  }

  /** Applies a (post-hysteresis) condition through the on/off delays. */
  private setCondition(r: AlarmRuntime, condition: AlarmCondition, value: number | null): void {
    const { clock } = this.options;
    if (value !== null) r.snapshot.value = value;
    if (condition !== 'NORMAL') {
      r.offTimer?.cancel();
      r.offTimer = null;
      if (r.snapshot.active) {
        const worse =
          limitCondition(condition) && severityOf(condition) === 'major' && r.snapshot.severity === 'minor';
        if (worse) {
          r.snapshot.acknowledged = false;
          this.setActiveCondition(r, condition);
          this.commit(r, 'escalated', null, null);
        } else if (condition !== r.snapshot.condition) this.setActiveCondition(r, condition);
        return;
      }
      if (r.onDelayMs === 0) this.activate(r, condition);
      else
        r.onTimer ??= clock.setTimeout(() => {
          r.onTimer = null;
          const now: AlarmCondition = r.snapshot.kind === 'limit' ? r.tracked : condition;
          if (now !== 'NORMAL') this.activate(r, now);
        }, r.onDelayMs);
      return;
    }
    r.onTimer?.cancel();
    r.onTimer = null;
    if (!r.snapshot.active) return;
    if (r.offDelayMs === 0) this.clear(r);
    else
      r.offTimer ??= clock.setTimeout(() => {
        r.offTimer = null;
        if (r.tracked === 'NORMAL') this.clear(r);
      }, r.offDelayMs);
  }

  private setActiveCondition(r: AlarmRuntime, condition: AlarmCondition): void {
    r.snapshot.condition = condition;
    r.snapshot.severity = r.raisedSeverity ?? (limitCondition(condition) ? severityOf(condition) : 'major');
  }

  private activate(r: AlarmRuntime, condition: AlarmCondition, why: string | null = null): void {
    r.snapshot.active = true;
    r.snapshot.acknowledged = false;
    r.snapshot.activated_at = this.iso();
    r.snapshot.activations++;
    this.setActiveCondition(r, condition);
    this.activations.push({ at: this.options.clock.monotonic(), alarm: r.snapshot.id });
    this.commit(r, 'activated', null, why);
    if (r.snapshot.suspend_runs)
      this.options.bus.emit('alarm.suspend_runs', {
        alarm: r.snapshot.id,
        active: true,
        reason: r.snapshot.description,
      });
  }

  private clear(r: AlarmRuntime): void {
    r.snapshot.active = false;
    r.snapshot.cleared_at = this.iso();
    r.snapshot.condition = 'NORMAL';
    r.snapshot.severity = 'none';
    this.commit(r, 'cleared', null, null);
    if (r.snapshot.suspend_runs)
      this.options.bus.emit('alarm.suspend_runs', {
        alarm: r.snapshot.id,
        active: false,
        reason: r.snapshot.description,
      });
  }

  private armShelveTimer(r: AlarmRuntime): void {
    r.shelveTimer?.cancel();
    r.shelveTimer = null;
    const shelved = r.snapshot.shelved;
    if (!shelved) return;
    const remaining = Date.parse(shelved.until) - this.options.clock.now();
    r.shelveTimer = this.options.clock.setTimeout(
      () => {
        r.shelveTimer = null;
        if (r.snapshot.shelved) this.doUnshelve(r, 'system', 'shelving expired');
      },
      Math.max(0, remaining),
    );
  }

  private doUnshelve(r: AlarmRuntime, user: string, comment: string): void {
    r.shelveTimer?.cancel();
    r.shelveTimer = null;
    r.snapshot.shelved = null;
    this.commit(r, 'unshelved', user, comment);
  }

  private commit(r: AlarmRuntime, kind: AlarmEventKind, user: string | null, comment: string | null): void {
    r.snapshot.state = lifecycleOf(r.snapshot);
    const event: AlarmEvent = {
      time: this.iso(),
      alarm: r.snapshot.id,
      event: kind,
      condition: r.snapshot.condition,
      severity: r.snapshot.severity,
      value: r.snapshot.value,
      user,
      comment,
    };
    try {
      this.options.store.save(r.snapshot, event);
    } catch (error) {
      this.options.logger.error({ err: error, alarm: r.snapshot.id }, 'alarm state could not be saved');
    }
    this.options.bus.emit('alarm.changed', { alarm: { ...r.snapshot }, event });
  }

  private iso(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

const NOT_LIMIT: readonly AlarmCondition[] = ['COMM', 'DISK_FULL', 'CLOCK_OFFSET', 'BUFFER_FULL', 'RAISED'];

function limitCondition(condition: AlarmCondition): condition is Condition {
  return !NOT_LIMIT.includes(condition);
}
