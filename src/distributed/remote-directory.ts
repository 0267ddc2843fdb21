import { type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import { type NatsConnection, RequestError, TimeoutError } from '@nats-io/transport-node';
import type { BenchtopConfig } from '../config/schema.ts';
import type { ActorState } from '../core/actor-state.ts';
import type { EventBus } from '../core/bus.ts';
import { cameraCapability } from '../core/capabilities.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { DeviceDescription } from '../core/device.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { Instrument, type InstrumentControl } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { Logger } from '../core/logger.ts';
import type { AcquisitionEnded } from './agent-frames.ts';
import { openBuckets, type SiteBuckets } from './buckets.ts';
import { connectBus } from './bus-connection.ts';
import { logBusRefusals } from './bus-refusals.ts';
import { ControlLeases, describeHolder, LeaseRecord, leaseTtlMs } from './control-lease.ts';
import {
  AgentBirth,
  CommandReply,
  CommandRequest,
  decode,
  encode,
  Heartbeat,
  InstrumentRecord,
  PROTOCOL_VERSION,
  ReadingBatch,
  StateChange,
} from './messages.ts';
import { AgentFiles, RemoteFrameSource } from './remote-frames.ts';
import { describedDriver, RemoteActor, unwrap } from './remote-instrument.ts';
import { agentCommand, fromKvKey, subjects } from './subjects.ts';

export interface RemoteDirectoryDeps {
  config: BenchtopConfig;
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  logger: Logger;
  /** This hub's name in command ids. */
  hubId: string;
}

interface Remote {
  record: InstrumentRecord;
  instrument: Instrument;
  actor: RemoteActor;
  /** What the agent last said (heartbeat or event); shown only while the agent is alive. */
  reported: { state: ActorState; error?: { code: string; message: string } };
}

interface AgentView {
  birth: AgentBirth;
  /** Hub clock at the last heartbeat received. */
  seenAt: number;
  /** Agent clock minus hub clock (ms), from the latest request/reply round trip. */
  offsetMs: number | null;
  roundTripMs: number | null;
  /** The agent's parameter-log buffer, from its latest heartbeat (absent when it does not log). */
  outbox: Heartbeat['outbox'] | null;
}

/**
 * The hub's view of every instrument on the site's agents, as an InstrumentDirectory: the API,
 * the run engine and the dashboard use them as local ones. Built from the KV buckets, kept live
 * by readings, events and heartbeats; an agent whose heartbeats stop has its instruments shown
 * `failed` (stale), so runs using them suspend as for a local link loss.
 */
export class RemoteDirectory implements InstrumentDirectory {
  private readonly deps: RemoteDirectoryDeps;
  private nc: NatsConnection | null = null;
  private buckets: SiteBuckets | null = null;
  private leases: ControlLeases | null = null;
  private readonly remotes = new Map<string, Remote>();
  private readonly agents = new Map<string, AgentView>();
  /** Every instrument's control lease as the bucket says (a hub's or a local operator's), shown in the API. */
  private readonly leaseRecords = new Map<string, LeaseRecord>();
  private readonly leaseRevisions = new Map<string, number>();
  private livenessTimer: TimerHandle | null = null;
  private commandSeq = 0;
  private onAdded: ((instrument: { id: string; type: string }) => void) | null = null;
  /** Agents still to be told of runs closed at start-up, by agent id. */
  private readonly lateStops = new Map<
    string,
    { runs: string[]; reason: string; onLate: (agent: string, stopped: AcquisitionEnded[]) => void }
  >();
  private closed = false;

  constructor(deps: RemoteDirectoryDeps) {
    this.deps = deps;
  }

  /** The site's KV buckets, once started. */
  get siteBuckets(): SiteBuckets | null {
    return this.buckets;
  }

  /** The bus connection, once started (the parameter-log writer shares it). */
  get connection(): NatsConnection | null {
    return this.nc;
  }

  private get log(): Logger {
    return this.deps.logger.child({ component: 'hub' });
  }

  async start(): Promise<void> {
    const nc = await connectBus(this.deps.config.bus, `hub:${this.deps.hubId}`);
    this.nc = nc;
    void logBusRefusals(nc, this.deps.config.bus, `hub:${this.deps.hubId}`, this.log);
    const site = this.deps.config.agent.site;
    this.buckets = await openBuckets(nc, site);
    this.leases = new ControlLeases({
      kv: this.buckets.leases,
      holder: this.deps.hubId,
      clock: this.deps.clock,
      ttlMs: this.deps.config.bus.lease_ttl_ms,
    });
    nc.subscribe(subjects.allReadings(site), {
      callback: (err, msg) => {
        if (!err) this.onReadings(msg.data);
      },
    });
    nc.subscribe(subjects.allEvents(site), {
      callback: (err, msg) => {
        if (!err) this.onEvent(msg.data);
      },
    });
    nc.subscribe(subjects.allHeartbeats(), {
      callback: (err, msg) => {
        if (!err) this.onHeartbeat(msg.data);
      },
    });
    // Watch first, then load: nothing written in between is missed (applying twice is harmless).
    await this.watch(this.buckets.agents, (e) => this.onAgent(e));
    await this.watch(this.buckets.instruments, (e) => this.onInstrument(e));
    await this.watch(this.buckets.leases, (e) => this.onLease(e));
    await this.load(this.buckets.agents, (e) => this.onAgent(e));
    await this.load(this.buckets.instruments, (e) => this.onInstrument(e));
    await this.load(this.buckets.leases, (e) => this.onLease(e));
    await this.load(this.buckets.state, (e) => this.onState(e));
    this.tick();
    this.log.info(
      { instruments: [...this.remotes.keys()], agents: [...this.agents.keys()] },
      'hub joined the site bus',
    );
  }

  private async load(kv: KV, apply: (entry: KvEntry) => void): Promise<void> {
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry) apply(entry);
    }
  }

  /** Resolves once the watch is set up; the updates are applied in the background. */
  private async watch(kv: KV, apply: (entry: KvEntry) => void): Promise<void> {
    const iterator = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of iterator) {
        if (this.closed) break;
        apply(entry);
      }
    })();
  }

  private safely(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.log.warn({ err: error }, `ignored a bad ${what}`);
    }
  }

  private onAgent(entry: KvEntry): void {
    if (entry.operation !== 'PUT') return;
    this.safely('agent record', () => {
      const birth = decode(AgentBirth, entry.value, 'agent record');
      const known = this.agents.get(birth.agentId);
      const reborn = known && known.birth.epoch !== birth.epoch;
      // A record read at start-up is as old as its last heartbeat (agent clock; offsets are small).
      const seenAt = known && !reborn ? known.seenAt : Math.min(this.deps.clock.now(), birth.lastHeartbeat);
      this.agents.set(birth.agentId, {
        birth,
        seenAt: birth.status === 'dead' ? seenAt : Math.max(seenAt, known?.seenAt ?? 0),
        offsetMs: known?.offsetMs ?? null,
        roundTripMs: known?.roundTripMs ?? null,
        outbox: known?.outbox ?? null,
      });
      if (reborn)
        this.log.info({ agent: birth.agentId, epoch: birth.epoch }, `agent ${birth.agentId} was born again`);
      this.refresh(birth.agentId);
      this.tellLate(birth.agentId);
    });
  }

  private onInstrument(entry: KvEntry): void {
    if (entry.operation !== 'PUT') return;
    this.safely('instrument record', () => {
      const record = decode(InstrumentRecord, entry.value, `instrument ${fromKvKey(entry.key)}`);
      const known = this.remotes.get(record.id);
      const sameShape =
        known &&
        known.record.agentId === record.agentId &&
        JSON.stringify(known.record.description) === JSON.stringify(record.description);
      if (known && sameShape) {
        known.record = record;
        if (record.identity) known.instrument.identity = record.identity as Instrument['identity'];
        return;
      }
      const actor = new RemoteActor(
        (verb, args, timeoutMs) => this.request(record.agentId, record.id, verb, args, timeoutMs),
        10 * 60_000,
      );
      const description = record.description as DeviceDescription;
      const driver = describedDriver(description);
      const instrument = new Instrument({
        id: record.id,
        // A camera's frames stay on its host: the engine gets a source that references them there.
        driver: cameraCapability(description.capabilities)
          ? {
              ...driver,
              frameSource: new RemoteFrameSource({
                send: (verb, args, timeoutMs) =>
                  this.request(record.agentId, record.id, verb, args, timeoutMs),
                agentId: record.agentId,
                host: record.host,
                camera: record.id,
                timeoutMs: this.deps.config.bus.request_timeout_ms,
              }),
            }
          : driver,
        actor,
        clock: this.deps.clock,
        askTimeoutMs: this.deps.config.bus.request_timeout_ms,
        host: record.host,
        onCommand: (op, seconds, outcome) =>
          this.deps.bus.emit('instrument.command', { instrument: record.id, op, seconds, outcome }),
      });
      if (record.identity) instrument.identity = record.identity as Instrument['identity'];
      this.showControl(record.id, instrument);
      if (!known) this.onAdded?.({ id: record.id, type: record.type });
      this.remotes.set(record.id, {
        record,
        instrument,
        actor,
        reported: known?.reported ?? { state: 'starting' },
      });
      this.refresh(record.agentId);
    });
  }

  private onLease(entry: KvEntry): void {
    const id = fromKvKey(entry.key);
    // The start-up load can read a value older than one the watch already gave: keep the newest.
    if ((this.leaseRevisions.get(id) ?? 0) >= entry.revision) return;
    this.leaseRevisions.set(id, entry.revision);
    if (entry.operation !== 'PUT') this.leaseRecords.delete(id);
    else
      this.safely('lease record', () => {
        this.leaseRecords.set(id, decode(LeaseRecord, entry.value, `lease ${id}`));
      });
    const remote = this.remotes.get(id);
    if (remote) this.showControl(id, remote.instrument);
  }

  /** A lease as the API shows it: who, whether an operator at the host, until when. */
  private controlOf(lease: LeaseRecord): InstrumentControl {
    return {
      holder: describeHolder(lease),
      local: lease.local !== undefined,
      ...(lease.local?.note ? { note: lease.local.note } : {}),
      renewedAt: lease.renewedAt,
      lapsesAt: lease.renewedAt + leaseTtlMs(lease, this.deps.config.bus.lease_ttl_ms),
    };
  }

  /** The instrument's `control` (the API's instrument list) from the lease the bucket holds. */
  private showControl(id: string, instrument: Instrument): void {
    const lease = this.leaseRecords.get(id);
    instrument.control = lease ? this.controlOf(lease) : null;
  }

  /** Every lease the bucket holds (the `agents` health probe shows them). */
  leasesView(): ({ instrument: string } & InstrumentControl)[] {
    return [...this.leaseRecords.values()].map((l) => ({ instrument: l.instrument, ...this.controlOf(l) }));
  }

  private onState(entry: KvEntry): void {
    if (entry.operation !== 'PUT') return;
    this.safely('state record', () => this.applyState(decode(StateChange, entry.value, 'state record')));
  }

  private onEvent(data: Uint8Array): void {
    this.safely('event', () => this.applyState(decode(StateChange, data, 'event')));
  }

  private applyState(change: StateChange): void {
    const remote = this.remotes.get(change.inst);
    if (!remote || remote.record.agentId !== change.agentId) return;
    remote.reported = { state: change.state as ActorState, ...(change.error ? { error: change.error } : {}) };
    this.refresh(change.agentId);
  }

  private onHeartbeat(data: Uint8Array): void {
    this.safely('heartbeat', () => {
      const beat = decode(Heartbeat, data, 'heartbeat');
      const agent = this.agents.get(beat.agentId);
      if (!agent) return;
      agent.seenAt = this.deps.clock.now();
      agent.birth = { ...agent.birth, lastHeartbeat: beat.at, status: 'alive' };
      agent.outbox = beat.outbox ?? null;
      for (const [id, s] of Object.entries(beat.states)) {
        const remote = this.remotes.get(id);
        if (remote && remote.record.agentId === beat.agentId)
          remote.reported = { state: s.state as ActorState, ...(s.error ? { error: s.error } : {}) };
      }
      this.refresh(beat.agentId);
      this.tellLate(beat.agentId);
    });
  }

  private onReadings(data: Uint8Array): void {
    this.safely('reading batch', () => {
      const batch = decode(ReadingBatch, data, 'reading batch');
      const remote = this.remotes.get(batch.inst);
      if (!remote || remote.record.agentId !== batch.agentId) return;
      for (const s of batch.samples) {
        const reading = {
          instrument: batch.inst,
          signal: s.signal,
          value: s.value as never,
          timestamp: s.ts,
          quality: s.quality,
          ...(s.unit !== undefined ? { unit: s.unit } : {}),
        };
        remote.instrument.remember(reading);
        this.deps.bus.emit('instrument.reading', reading);
      }
    });
  }

  /** Every liveness period: stale agents' instruments become unavailable; clocks are measured. */
  private tick(): void {
    if (this.closed) return;
    for (const id of this.agents.keys()) this.refresh(id);
    for (const [id, agent] of this.agents) {
      if (this.isAlive(agent)) void this.measureClock(id);
    }
    this.livenessTimer = this.deps.clock.setTimeout(() => this.tick(), this.deps.config.agent.heartbeat_ms);
  }

  private isAlive(agent: AgentView): boolean {
    return (
      agent.birth.status === 'alive' &&
      this.deps.clock.now() - agent.seenAt <= this.deps.config.agent.stale_after_ms
    );
  }

  /** Sets each of the agent's instruments to what the agent reports, or `failed` when it is stale or dead. */
  private refresh(agentId: string): void {
    const agent = this.agents.get(agentId);
    for (const remote of this.remotes.values()) {
      if (remote.record.agentId !== agentId) continue;
      let state: ActorState;
      let error: { code: string; message: string } | undefined;
      if (!agent || !this.isAlive(agent)) {
        state = 'failed';
        const why = !agent
          ? 'has never been seen'
          : agent.birth.status === 'dead'
            ? 'stopped'
            : `sent no heartbeat for ${Math.round((this.deps.clock.now() - agent.seenAt) / 1000)} s (stale)`;
        error = {
          code: 'INSTRUMENT_UNAVAILABLE',
          message: `agent ${agentId} on ${remote.record.host} ${why}`,
        };
      } else {
        state = remote.reported.state;
        error = remote.reported.error;
      }
      this.setState(remote, state, error);
    }
  }

  private setState(remote: Remote, state: ActorState, error?: { code: string; message: string }): void {
    const { actor } = remote;
    if (error)
      actor.lastError = new BenchtopError('INSTRUMENT_UNAVAILABLE', error.message, {
        instrument: remote.record.id,
      });
    else if (state === 'ready') actor.lastError = null;
    if (actor.state === state) return;
    const previous = actor.state;
    actor.state = state;
    this.deps.bus.emit('actor.state', {
      id: remote.record.id,
      kind: remote.record.type,
      state,
      previous,
      at: this.deps.clock.now(),
      restarts: 0,
      ...(error ? { error } : {}),
    });
  }

  /** One command to an agent: no responders = offline, no reply in time = hung. */
  private async request(
    agentId: string,
    inst: string,
    verb: string,
    args: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<CommandReply> {
    const nc = this.nc;
    if (!nc) throw new BenchtopError('BUS_UNAVAILABLE', 'the hub is not connected to the NATS server');
    // Driving an instrument needs its control lease; reading does not.
    const lease =
      inst !== '' && (verb === 'write' || verb === 'call' || verb === 'restart' || verb === 'acquire')
        ? await this.leases!.ensure(inst)
        : undefined;
    const now = this.deps.clock.now();
    const request: CommandRequest = {
      ...(lease !== undefined ? { lease } : {}),
      v: PROTOCOL_VERSION,
      cmdId: `${this.deps.hubId}:${now}:${++this.commandSeq}`,
      verb,
      args,
      deadline: now + timeoutMs,
      sentAt: now,
    };
    const subject = inst === '' ? agentCommand(agentId, verb) : subjects.command(agentId, inst, verb);
    try {
      const msg = await nc.request(subject, encode(CommandRequest, request), { timeout: timeoutMs });
      return decode(CommandReply, msg.data, `reply from agent ${agentId}`);
    } catch (error) {
      if (error instanceof BenchtopError) throw error;
      const details = { instrument: inst, agent: agentId, verb };
      if (error instanceof RequestError && error.isNoResponders?.())
        throw new BenchtopError(
          'INSTRUMENT_UNAVAILABLE',
          `agent ${agentId} is offline: nothing answers ${subject} (no responders)`,
          { ...details, agentStatus: 'offline' },
          { cause: error },
        );
      if (error instanceof TimeoutError || (error as Error).name === 'TimeoutError')
        throw new BenchtopError(
          'INSTRUMENT_TIMEOUT',
          `agent ${agentId} is hung: no reply to ${verb} within ${timeoutMs} ms`,
          { ...details, agentStatus: 'hung' },
          { cause: error },
        );
      throw new BenchtopError(
        'BUS_UNAVAILABLE',
        `command to agent ${agentId} failed: ${(error as Error).message}`,
        details,
        {
          cause: error,
        },
      );
    }
  }

  /** Offset = agent clock − the midpoint of the round trip on the hub's clock (NTP's estimate). */
  private async measureClock(agentId: string): Promise<void> {
    const sent = this.deps.clock.now();
    try {
      const reply = await this.request(agentId, '', 'time', {}, this.deps.config.bus.request_timeout_ms);
      const received = this.deps.clock.now();
      const { now } = unwrap(reply) as { now: number };
      const agent = this.agents.get(agentId);
      if (!agent) return;
      agent.offsetMs = now - (sent + received) / 2;
      agent.roundTripMs = received - sent;
      const limit = this.deps.config.bus.clock_offset_alarm_ms;
      if (Math.abs(agent.offsetMs) > limit)
        this.log.warn(
          { agent: agentId, offsetMs: agent.offsetMs, roundTripMs: agent.roundTripMs },
          `agent ${agentId}'s clock is ${Math.round(agent.offsetMs)} ms off the hub's (more than ${limit} ms)`,
        );
    } catch {
      // Offline or hung: liveness says so.
    }
  }

  /** At start-up: the control leases this hub's previous process held and never released (ControlLeases.releaseLeftBehind). */
  releaseLeasesLeftBehind(): Promise<string[]> {
    if (!this.leases) throw new BenchtopError('BUS_UNAVAILABLE', 'the hub has not joined the site bus');
    return this.leases.releaseLeftBehind();
  }

  /**
   * Tells every agent to stop its acquisitions for `runs` (runs this hub closed at start-up) and
   * close their files. Agents not alive now are told when they are next heard from (a birth or a
   * heartbeat), and `onLate` hears what they stopped then.
   */
  async stopRunsOnAgents(
    runs: string[],
    reason: string,
    onLate: (agent: string, stopped: AcquisitionEnded[]) => void,
  ): Promise<{
    stopped: (AcquisitionEnded & { agent: string })[];
    notReached: { agent: string; reason: string }[];
  }> {
    const stopped: (AcquisitionEnded & { agent: string })[] = [];
    const notReached: { agent: string; reason: string }[] = [];
    if (runs.length === 0) return { stopped, notReached };
    await Promise.all(
      [...this.agents.entries()].map(async ([agentId, agent]) => {
        if (agent.birth.status === 'dead') return; // Stopped cleanly: its acquisitions stopped with it.
        if (!this.isAlive(agent)) {
          notReached.push({ agent: agentId, reason: 'stale: told when it is heard from again' });
          this.tellWhenHeard(agentId, { runs, reason, onLate });
          return;
        }
        try {
          for (const a of await this.sendStopRuns(agentId, runs, reason))
            stopped.push({ ...a, agent: agentId });
        } catch (error) {
          notReached.push({
            agent: agentId,
            reason: `${(error as Error).message}: told when it is heard from again`,
          });
          this.tellWhenHeard(agentId, { runs, reason, onLate });
        }
      }),
    );
    return { stopped, notReached };
  }

  private async sendStopRuns(agentId: string, runs: string[], reason: string): Promise<AcquisitionEnded[]> {
    const reply = unwrap(
      await this.request(agentId, '', 'stop_runs', { runs, reason }, this.deps.config.bus.request_timeout_ms),
    ) as { stopped: AcquisitionEnded[] };
    return reply.stopped;
  }

  /** Keeps runs for an agent to be told of later, with those already waiting for it. */
  private tellWhenHeard(
    agentId: string,
    late: { runs: string[]; reason: string; onLate: (agent: string, stopped: AcquisitionEnded[]) => void },
  ): void {
    const waiting = this.lateStops.get(agentId);
    this.lateStops.set(
      agentId,
      waiting ? { ...late, runs: [...new Set([...waiting.runs, ...late.runs])] } : late,
    );
  }

  /** An agent heard from: runs closed at start-up that it was not told of yet are sent now. */
  private tellLate(agentId: string): void {
    const late = this.lateStops.get(agentId);
    const agent = this.agents.get(agentId);
    if (!late || !agent || !this.isAlive(agent)) return;
    this.lateStops.delete(agentId);
    this.sendStopRuns(agentId, late.runs, late.reason).then(
      (stopped) => late.onLate(agentId, stopped),
      () => this.tellWhenHeard(agentId, late),
    );
  }

  /** Run files kept on agents (camera frames), fetched from them in chunks on request. */
  readonly files = new AgentFiles(async (agentId, verb, args) =>
    unwrap(await this.request(agentId, '', verb, args, this.deps.config.bus.request_timeout_ms)),
  );

  /** Told about every remote instrument, those known now and those that appear (the communication alarms). */
  onInstrumentAdded(listener: (instrument: { id: string; type: string }) => void): void {
    this.onAdded = listener;
    for (const r of this.remotes.values()) listener({ id: r.record.id, type: r.record.type });
  }

  /** Every agent the hub knows, with liveness and clock offset (the API's and dashboard's host view). */
  agentsView(): {
    agentId: string;
    host: string;
    liveness: string;
    epoch: number;
    offsetMs: number | null;
    roundTripMs: number | null;
    outbox: Heartbeat['outbox'] | null;
  }[] {
    return [...this.agents.values()].map((a) => ({
      agentId: a.birth.agentId,
      host: a.birth.host,
      liveness: a.birth.status === 'dead' ? 'dead' : this.isAlive(a) ? 'alive' : 'stale',
      epoch: a.birth.epoch,
      offsetMs: a.offsetMs,
      roundTripMs: a.roundTripMs,
      outbox: a.outbox,
    }));
  }

  list(): Instrument[] {
    return [...this.remotes.values()].map((r) => r.instrument);
  }

  has(id: string): boolean {
    return this.remotes.has(id);
  }

  get(id: string): Instrument {
    const remote = this.remotes.get(id);
    if (!remote)
      throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument "${id}"`, {
        instrument: id,
        known: [...this.remotes.keys()],
      });
    return remote.instrument;
  }

  /** Gives up this hub's lease of `id` (its next write, call or restart takes it again if it is free). */
  async releaseControl(id: string): Promise<boolean> {
    this.get(id);
    return (await this.leases?.release(id)) ?? false;
  }

  async restart(id: string): Promise<void> {
    const remote = this.remotes.get(id);
    if (!remote) this.get(id);
    unwrap(
      await this.request(remote!.record.agentId, id, 'restart', {}, this.deps.config.bus.request_timeout_ms),
    );
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.livenessTimer?.cancel();
    await this.leases?.releaseAll();
    await this.nc?.drain().catch(() => {});
    this.nc = null;
  }
}
