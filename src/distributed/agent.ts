import { hostname } from 'node:os';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { BenchtopConfig } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { BenchtopError, toBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { Logger } from '../core/logger.ts';
import type { Reading } from '../core/reading.ts';
import { frameSourceOf } from '../engine/frame-source.ts';
import { type AcquisitionEnded, AgentAcquisitions } from './agent-frames.ts';
import { openBuckets, type SiteBuckets } from './buckets.ts';
import { connectBus } from './bus-connection.ts';
import { logBusRefusals } from './bus-refusals.ts';
import { CommandCache } from './command-cache.ts';
import { LeaseView } from './lease-view.ts';
import { claimInstrument } from './liveness.ts';
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
import { ReadingBatcher } from './reading-batcher.ts';
import { AGENT_TARGET, kvKey, parseCommandSubject, subjects } from './subjects.ts';

export interface AgentDeps {
  config: BenchtopConfig;
  instruments: InstrumentDirectory;
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  logger: Logger;
  version: string;
}

/** A write or action that finishes later, run to its end here; the hub asks `check` until it is. */
interface Pending {
  settled: boolean;
  error: unknown;
}

/**
 * `benchtop agent`: the bridge between this host's instruments (actors on the in-process bus)
 * and NATS. Births into KV (refusing an instrument id another live agent has), heartbeats,
 * publishes readings in batches and every state change, and serves commands for its
 * instruments on `daq.cmd.<host>.>` with idempotent handlers keyed by command id.
 */
export class Agent {
  readonly agentId: string;
  readonly host: string;
  private readonly deps: AgentDeps;
  private readonly site: string;
  private nc: NatsConnection | null = null;
  private buckets: SiteBuckets | null = null;
  private epoch = 0;
  private seq = 0;
  private heartbeatSeq = 0;
  private heartbeatTimer: TimerHandle | null = null;
  private readonly readings: ReadingBatcher;
  private readonly commands = new CommandCache();
  private readonly pending = new Map<string, Pending>();
  /** Camera acquisitions for hubs' runs: frames into files here, only their metadata on the bus. */
  private readonly acquisitions: AgentAcquisitions;
  private readonly offs: (() => void)[] = [];
  private commandSub: Subscription | null = null;
  private birth: AgentBirth | null = null;
  private outboxReport: (() => Heartbeat['outbox']) | null = null;
  private leaseView: LeaseView | null = null;

  constructor(deps: AgentDeps) {
    this.deps = deps;
    const agent = deps.config.agent;
    if (!agent.id)
      throw new BenchtopError('CONFIG_INVALID', 'benchtop agent needs [agent] id in its configuration');
    this.agentId = agent.id;
    this.host = agent.host ?? hostname();
    this.site = agent.site;
    this.acquisitions = new AgentAcquisitions(deps.config.storage.output_dir, (ended) =>
      this.log.info(
        ended,
        `acquisition of ${ended.camera} ended: ${ended.frames} frames in ${ended.file}${ended.stopped ? ' (stopped by the hub)' : ''}${ended.error ? `; ${ended.error.message}` : ''}`,
      ),
    );
    this.readings = new ReadingBatcher({
      clock: deps.clock,
      batchMs: agent.reading_batch_ms,
      send: (subject, inst, samples) => {
        const batch: ReadingBatch = {
          v: PROTOCOL_VERSION,
          agentId: this.agentId,
          epoch: this.epoch,
          seq: ++this.seq,
          inst,
          samples,
        };
        this.publish(subject, encode(ReadingBatch, batch));
      },
    });
  }

  /** What every heartbeat says about the parameter-log buffer (set once logging starts). */
  reportOutbox(report: () => Heartbeat['outbox']): void {
    this.outboxReport = report;
  }

  /** The site's KV buckets, once started (delegated logging groups are read from them). */
  get siteBuckets(): SiteBuckets | null {
    return this.buckets;
  }

  /** The bus connection, once started (the parameter-log forwarder shares it). */
  get connection(): NatsConnection | null {
    return this.nc;
  }

  private get log(): Logger {
    return this.deps.logger.child({ component: 'agent', agent: this.agentId });
  }

  /** Connects and births; throws INSTRUMENT_ID_CONFLICT (after disconnecting) if an id is taken. */
  async start(): Promise<void> {
    const nc = await connectBus(this.deps.config.bus, `agent:${this.agentId}`);
    this.nc = nc;
    try {
      this.buckets = await openBuckets(nc, this.site);
      this.leaseView = new LeaseView(this.buckets.leases);
      await this.leaseView.start();
      await this.born();
    } catch (error) {
      await nc.close().catch(() => {});
      this.nc = null;
      throw error;
    }
    this.commandSub = nc.subscribe(subjects.allCommands(this.agentId), {
      callback: (err, msg) => {
        if (!err) void this.serve(msg);
      },
    });
    const { bus } = this.deps;
    this.offs.push(
      bus.on('instrument.reading', (r) => this.queueReading(r)),
      bus.on('actor.state', (change) => {
        if (!this.owns(change.id)) return;
        const message: StateChange = {
          v: PROTOCOL_VERSION,
          agentId: this.agentId,
          epoch: this.epoch,
          inst: change.id,
          kind: change.kind,
          restarts: change.restarts,
          state: change.state,
          at: change.at,
          ...(change.error ? { error: change.error } : {}),
        };
        this.publish(subjects.events(this.site, this.agentId, change.id), encode(StateChange, message));
        void this.buckets?.state.put(kvKey(change.id), encode(StateChange, message)).catch(() => {});
      }),
      bus.on('instrument.identity', ({ instrument }) => {
        if (this.owns(instrument)) void this.register(this.deps.instruments.get(instrument)).catch(() => {});
      }),
    );
    this.scheduleHeartbeat();
    void this.watchStatus(nc);
    void logBusRefusals(nc, this.deps.config.bus, `agent:${this.agentId}`, this.log);
    this.log.info(
      { epoch: this.epoch, instruments: this.birth?.instruments, url: this.deps.config.bus.url },
      `agent ${this.agentId} joined site ${this.site}`,
    );
  }

  /** Reconnected after a cut: a fresh birth with a new epoch (the hub rebuilds its view). */
  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      // A silent cut shows first as unanswered pings; the client then closes the connection, but
      // only once what it had written reached the kernel, which can wait for the link to return.
      if (status.type === 'staleConnection')
        this.log.warn('the NATS server stopped answering pings: connection stale');
      if (status.type === 'disconnect') this.log.warn('lost the NATS server; retrying');
      if (status.type === 'reconnect') {
        this.log.info('NATS server back: sending a fresh birth');
        await this.born().catch((error: unknown) => this.log.error({ err: error }, 'rebirth failed'));
      }
    }
  }

  /** Every reading passes here: a set, not a scan of the instrument list. */
  private readonly owned = new Set<string>();

  owns(id: string): boolean {
    return this.owned.has(id);
  }

  private async born(): Promise<void> {
    const { agents } = this.buckets!;
    const now = this.deps.clock.now();
    this.epoch = Math.max(now, this.epoch + 1);
    this.seq = 0;
    const list = this.deps.instruments.list();
    for (const instrument of list) await this.claim(instrument);
    for (const instrument of list) this.owned.add(instrument.id);
    this.birth = {
      v: PROTOCOL_VERSION,
      agentId: this.agentId,
      site: this.site,
      host: this.host,
      version: this.deps.version,
      epoch: this.epoch,
      instruments: list.map((i) => i.id),
      clock: now,
      status: 'alive',
      lastHeartbeat: now,
    };
    await agents.put(kvKey(this.agentId), encode(AgentBirth, this.birth));
    for (const instrument of list) await this.putState(instrument);
  }

  private record(instrument: Instrument): InstrumentRecord {
    return {
      v: PROTOCOL_VERSION,
      id: instrument.id,
      type: instrument.type,
      agentId: this.agentId,
      host: this.host,
      epoch: this.epoch,
      description: instrument.describe(),
      ...(instrument.identity ? { identity: instrument.identity } : {}),
    };
  }

  /** Registers one instrument, refusing an id that another live agent holds (ids are site-unique). */
  private async claim(instrument: Instrument): Promise<void> {
    const { instruments, agents } = this.buckets!;
    const key = kvKey(instrument.id);
    const value = encode(InstrumentRecord, this.record(instrument));
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await instruments.get(key);
      const existing =
        entry && entry.operation === 'PUT'
          ? decode(InstrumentRecord, entry.value, `instrument ${instrument.id}`)
          : null;
      const ownerEntry = existing ? await agents.get(kvKey(existing.agentId)) : null;
      const owner =
        ownerEntry && ownerEntry.operation === 'PUT'
          ? decode(AgentBirth, ownerEntry.value, 'agent record')
          : null;
      const decision = claimInstrument(
        instrument.id,
        this.agentId,
        existing,
        owner,
        this.deps.clock.now(),
        this.deps.config.agent.stale_after_ms,
      );
      if (decision.action === 'refuse') {
        throw new BenchtopError('INSTRUMENT_ID_CONFLICT', `agent ${this.agentId}: ${decision.message}`, {
          instrument: instrument.id,
          owner: decision.owner,
        });
      }
      try {
        if (!entry || entry.operation !== 'PUT') await instruments.create(key, value);
        else await instruments.update(key, value, entry.revision);
        if (decision.action === 'update' && decision.takeover)
          this.log.warn(
            { instrument: instrument.id, previous: decision.takeover },
            `took over instrument id ${instrument.id} from agent ${decision.takeover}, which is gone`,
          );
        return;
      } catch {
        // Another agent wrote the key between our read and write: judge again.
      }
    }
    throw new BenchtopError(
      'INSTRUMENT_ID_CONFLICT',
      `agent ${this.agentId}: instrument id "${instrument.id}" keeps being registered by another agent at the same moment`,
      { instrument: instrument.id },
    );
  }

  /** The identity or limits changed after connect: the description in KV follows. */
  private async register(instrument: Instrument): Promise<void> {
    await this.buckets?.instruments.put(
      kvKey(instrument.id),
      encode(InstrumentRecord, this.record(instrument)),
    );
  }

  private async putState(instrument: Instrument): Promise<void> {
    const error = instrument.status().lastError;
    const message: StateChange = {
      v: PROTOCOL_VERSION,
      agentId: this.agentId,
      epoch: this.epoch,
      inst: instrument.id,
      kind: instrument.type,
      restarts: 0,
      state: instrument.state,
      at: this.deps.clock.now(),
      ...(error ? { error } : {}),
    };
    await this.buckets!.state.put(kvKey(instrument.id), encode(StateChange, message));
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.deps.clock.setTimeout(() => {
      this.beat();
      this.scheduleHeartbeat();
    }, this.deps.config.agent.heartbeat_ms);
  }

  private beat(): void {
    if (!this.nc || this.nc.isClosed() || !this.birth) return;
    const now = this.deps.clock.now();
    const states: Heartbeat['states'] = {};
    for (const i of this.deps.instruments.list()) {
      const error = i.status().lastError;
      states[i.id] = { state: i.state, at: now, ...(error ? { error } : {}) };
    }
    const outbox = this.outboxReport?.();
    const heartbeat: Heartbeat = {
      v: PROTOCOL_VERSION,
      agentId: this.agentId,
      epoch: this.epoch,
      seq: ++this.heartbeatSeq,
      at: now,
      states,
      ...(outbox ? { outbox } : {}),
    };
    this.publish(subjects.heartbeat(this.agentId), encode(Heartbeat, heartbeat));
    this.birth = { ...this.birth, lastHeartbeat: now };
    void this.buckets?.agents.put(kvKey(this.agentId), encode(AgentBirth, this.birth)).catch(() => {});
  }

  /** Publishes, or drops while disconnected (live values only; the parameter log is buffered separately). */
  private publish(subject: string, data: Uint8Array): void {
    try {
      this.nc?.publish(subject, data);
    } catch {
      // Closed or draining: the next birth carries the state.
    }
  }

  private queueReading(reading: Reading): void {
    if (!this.owns(reading.instrument)) return;
    this.readings.add(
      subjects.readings(this.site, this.agentId, reading.instrument, reading.signal),
      reading.instrument,
      {
        signal: reading.signal,
        value: reading.value,
        ts: reading.timestamp,
        quality: reading.quality,
        ...(reading.unit !== undefined ? { unit: reading.unit } : {}),
      },
    );
  }

  private async serve(msg: Msg): Promise<void> {
    let request: CommandRequest | null = null;
    let reply: CommandReply;
    try {
      const target = parseCommandSubject(msg.subject);
      if (!target) throw new BenchtopError('VALIDATION_FAILED', `not a command subject: ${msg.subject}`);
      request = decode(CommandRequest, msg.data, `command on ${msg.subject}`);
      const req = request;
      reply = await this.commands.handle(req.cmdId, () => this.execute(target.inst, target.verb, req));
    } catch (error) {
      reply = this.errorReply(request?.cmdId ?? '', error);
    }
    try {
      msg.respond(encode(CommandReply, reply));
    } catch {
      // The connection went away; the hub sees a timeout.
    }
  }

  private errorReply(cmdId: string, error: unknown): CommandReply {
    const e = toBenchtopError(error);
    return {
      v: PROTOCOL_VERSION,
      cmdId,
      status: 'error',
      error: { code: e.code, message: e.message, details: e.details },
      agentNow: this.deps.clock.now(),
    };
  }

  private async execute(inst: string, verb: string, request: CommandRequest): Promise<CommandReply> {
    const done = (result: unknown): CommandReply => ({
      v: PROTOCOL_VERSION,
      cmdId: request.cmdId,
      status: 'done',
      result,
      agentNow: this.deps.clock.now(),
    });
    try {
      if (inst === AGENT_TARGET) {
        if (verb === 'time') return done({ now: this.deps.clock.now() });
        if (verb === 'file_size')
          return done({ size: await this.acquisitions.size(String(request.args.file)) });
        if (verb === 'file_read')
          return done(
            await this.acquisitions.readChunk(
              String(request.args.file),
              Number(request.args.offset),
              Number(request.args.length),
            ),
          );
        if (verb === 'stop_runs') return done(await this.stopRuns(request));
        throw new BenchtopError('VALIDATION_FAILED', `agent ${this.agentId} has no verb "${verb}"`);
      }
      if (request.deadline < this.deps.clock.now())
        return {
          ...done(undefined),
          status: 'rejected',
          error: { code: 'ASK_TIMEOUT', message: 'the deadline had passed on arrival' },
        };
      const instrument = this.deps.instruments.get(inst);
      const args = request.args;
      if (verb === 'write' || verb === 'call' || verb === 'restart' || verb === 'acquire')
        await this.leaseView!.check(inst, request.lease);
      switch (verb) {
        case 'read':
          return done({ reading: await instrument.read(String(args.signal)) });
        case 'write': {
          const signal = String(args.signal);
          const desc = instrument.describe().signals.find((s) => s.name === signal);
          if (desc?.completes !== true) {
            const reading = await instrument.writeAndRead(signal, args.value);
            // The hub reads the value back next (a PUT reporting it): done here, one round trip fewer.
            if (reading || args.readBack !== true || !desc?.readable) return done({ reading });
            return done({ reading: await instrument.read(signal) });
          }
          return this.accept(
            request.cmdId,
            `${inst}.${signal} = ${String(args.value)}`,
            instrument.write(signal, args.value),
          );
        }
        case 'call': {
          const action = String(args.action);
          const completes = instrument.describe().actions.find((a) => a.name === action)?.completes === true;
          const run = instrument.call(action, args.args ?? {});
          if (!completes) return done({ result: await run });
          return this.accept(request.cmdId, `${inst}.${action}()`, run);
        }
        case 'check': {
          const id = String(args.completion);
          const pending = this.pending.get(id);
          if (!pending)
            throw new BenchtopError(
              'NOT_FOUND',
              `agent ${this.agentId} knows no operation ${id} (restarted since?)`,
            );
          if (!pending.settled) return done({ done: false });
          this.pending.delete(id);
          if (pending.error) throw pending.error;
          return done({ done: true });
        }
        case 'restart':
          await this.deps.instruments.restart?.(inst);
          return done({});
        case 'acquire': {
          const source = frameSourceOf(instrument);
          if (!source)
            throw new BenchtopError('VALIDATION_FAILED', `${inst} is not a camera (it offers no frames)`, {
              camera: inst,
            });
          const num = (key: string) => (typeof args[key] === 'number' ? { [key]: args[key] as number } : {});
          return done(
            this.acquisitions.start(
              request.cmdId,
              inst,
              source,
              String(args.run),
              { ...num('count'), ...num('durationMs'), ...num('exposureMs') },
              Number(args.keepFrames) || 0,
            ),
          );
        }
        case 'frames':
          return done(
            await this.acquisitions.frames(
              String(args.acquisition),
              Number(args.from),
              Math.min(Number(args.waitMs) || 0, 5_000),
            ),
          );
        case 'stop_acquisition':
          this.acquisitions.stop(String(args.acquisition));
          return done({});
        default:
          throw new BenchtopError('VALIDATION_FAILED', `unknown command verb "${verb}"`);
      }
    } catch (error) {
      return this.errorReply(request.cmdId, error);
    }
  }

  /**
   * A hub that restarted closed runs its previous process left open: acquisitions still writing
   * frames for them here stop, and the reply (once their files are closed) says what stopped.
   */
  private async stopRuns(request: CommandRequest): Promise<{ stopped: AcquisitionEnded[] }> {
    const runs = Array.isArray(request.args.runs) ? request.args.runs.map(String) : [];
    const stopped = await this.acquisitions.stopRuns(runs);
    if (stopped.length > 0)
      this.log.warn(
        { runs, stopped, reason: request.args.reason },
        `stopped ${stopped.length} acquisition(s) of runs closed by a restarted hub: ${stopped.map((a) => `${a.camera} (${a.frames} frames in ${a.file})`).join(', ')}`,
      );
    return { stopped };
  }

  /** A long operation runs to its end here; the reply says so and names it for `check`. */
  private accept(cmdId: string, what: string, run: Promise<unknown>): CommandReply {
    const pending: Pending = { settled: false, error: null };
    this.pending.set(cmdId, pending);
    run.then(
      () => {
        pending.settled = true;
      },
      (error: unknown) => {
        pending.settled = true;
        pending.error = error;
      },
    );
    return {
      v: PROTOCOL_VERSION,
      cmdId,
      status: 'accepted',
      result: { completion: { id: cmdId, what } },
      agentNow: this.deps.clock.now(),
    };
  }

  /** A clean stop: the death certificate, so hubs mark the instruments unavailable at once. */
  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    this.acquisitions.stopAll();
    this.heartbeatTimer?.cancel();
    this.readings.flush();
    const nc = this.nc;
    if (!nc) return;
    this.commandSub?.unsubscribe();
    this.leaseView?.stop();
    if (this.birth && this.buckets)
      await this.buckets.agents
        .put(
          kvKey(this.agentId),
          encode(AgentBirth, { ...this.birth, status: 'dead', lastHeartbeat: this.deps.clock.now() }),
        )
        .catch(() => {});
    await nc.drain().catch(() => {});
    this.nc = null;
  }
}
