import { Value } from '@sinclair/typebox/value';
import type { EventBus } from '../../core/bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { Logger } from '../../core/logger.ts';
import { type Principal, roleAtLeast } from '../auth/roles.ts';
import type { BenchtopMetrics } from '../metrics/benchtop-metrics.ts';
import { CameraPreviewRenderer, encodePreview } from './camera-preview.ts';
import {
  type CorkableWire,
  type SlowClientPolicy,
  StreamClient,
  type StreamSocket,
} from './stream-client.ts';
import {
  type Channel,
  ChannelRoles,
  ClientMessage,
  DEFAULT_SIGNAL_RATE_HZ,
  MAX_SIGNAL_SUBSCRIPTIONS,
} from './stream-protocol.ts';

/**
 * How long one slice of fan-out may run before the event loop gets a turn (ms). A reading
 * to 1000 clients is several ms of sends, and several readings arrive in one turn; between
 * slices the loop runs due timers (the parameter logger's tick) and I/O, so a burst holds a
 * timer for about one slice, not for the whole burst.
 */
export const FANOUT_SLICE_MS = 4;
/** Clients sent to between two looks at the time. */
export const FANOUT_CHECK_CLIENTS = 32;

/** One message on its way to every client (in order: a later job never overtakes). */
interface FanoutJob {
  deliver: (client: StreamClient, job: FanoutJob) => void;
  /** A reading's `instrument.signal`: a newer reading of it replaces this one while unsent. */
  signal: string | null;
  reading: BenchtopEvents['instrument.reading'] | null;
  clients: readonly StreamClient[];
  next: number;
  /** Time spent sending this job, over all its slices (ms). */
  spentMs: number;
}

const offerReading = (client: StreamClient, job: FanoutJob) =>
  client.offerReading(job.reading!, job.signal ?? undefined);

/** Deny by default: a stream without a principal reads no channel. */
function mayRead(principal: Principal | null, channel: Channel): boolean {
  return principal !== null && roleAtLeast(principal.role, ChannelRoles[channel]);
}

/** Which channel a bus topic belongs to (topics are added by later modules; routing is by prefix). */
function channelOf(topic: string): string | null {
  if (topic === 'actor.state') return 'states';
  if (topic.startsWith('run.')) return 'runs';
  if (topic.startsWith('alarm.') || topic.startsWith('setpoint.')) return 'alarms';
  // line.part, line.defect, line.state, line.alarm, line.kpis (src/production/line-bus-events.ts)
  if (topic.startsWith('line.')) return 'lines';
  // isi.online_maps (src/imaging/isi-online-events.ts)
  if (topic.startsWith('isi.')) return 'imaging';
  if (topic === 'log.record') return 'logs';
  return null;
}

/**
 * Fans bus events out to WebSocket clients according to their subscriptions. One bus
 * subscription for all clients; per-client throttling and slow-client protection live in
 * StreamClient; camera previews are rendered once per frame in a worker.
 */
export class StreamHub {
  private readonly clients = new Set<StreamClient>();
  private readonly clock: Clock;
  private readonly metrics: BenchtopMetrics;
  private readonly log: Logger;
  private readonly policy: SlowClientPolicy;
  private readonly preview = new CameraPreviewRenderer();
  private readonly offBus: () => void;
  private nextId = 1;
  /** The clients as an array, kept until one connects or leaves (a fan-out iterates it). */
  private clientList: StreamClient[] | null = null;
  /**
   * Who a reading of `instrument.signal` goes to, worked out on its first reading and forgotten
   * when a subscription to it (or any wildcard, or the client set) changes: a reading is offered
   * to its subscribers only, not to every client (100 clients × 20 000 points a second would be
   * two million offers, all but 20 000 of them refused).
   */
  private readonly recipients = new Map<string, readonly StreamClient[]>();
  private readonly backlog: FanoutJob[] = [];
  /** Reading jobs in the backlog not yet started, by signal (a newer reading replaces one). */
  private readonly unsent = new Map<string, FanoutJob>();
  private readonly sliceMs: number;
  private continuation: NodeJS.Immediate | null = null;

  constructor(options: {
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
    metrics: BenchtopMetrics;
    logger: Logger;
    policy?: SlowClientPolicy;
    /** Fan-out time per event-loop turn (default FANOUT_SLICE_MS; 0: one group of clients). */
    fanoutSliceMs?: number;
  }) {
    this.sliceMs = options.fanoutSliceMs ?? FANOUT_SLICE_MS;
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.log = options.logger;
    this.policy = options.policy ?? { softLimitBytes: 256 * 1024, hardLimitBytes: 4 * 1024 * 1024 };
    this.offBus = options.bus.onAny((topic, payload) => this.route(String(topic), payload));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Registers a socket opened by `principal`; returns the handlers its transport should call. */
  connect(
    socket: StreamSocket,
    principal: Principal | null,
    wire: CorkableWire | null = null,
  ): {
    onMessage: (text: string) => void;
    onClose: () => void;
    client: StreamClient;
  } {
    const client = new StreamClient(
      this.nextId++,
      socket,
      this.clock,
      this.policy,
      (reason) => this.metrics.websocketDropped.inc({ reason }),
      wire,
    );
    client.principal = principal;
    client.onSubscriptionChange = (path) => {
      if (path.endsWith('.*')) this.recipients.clear();
      else this.recipients.delete(path);
    };
    this.clients.add(client);
    this.clientList = null;
    this.metrics.websocketClients.set(this.clients.size);
    return {
      client,
      onMessage: (text) => this.receive(client, text),
      onClose: () => {
        client.close();
        this.clients.delete(client);
        this.clientList = null;
        this.recipients.clear();
        this.metrics.websocketClients.set(this.clients.size);
      },
    };
  }

  /**
   * Checks every open stream's principal again (keys or users changed): a stream whose key was
   * revoked or whose user was removed or changed password is closed now; one whose role dropped
   * loses the channels it may no longer read.
   */
  recheck(check: (principal: Principal) => Principal | null): void {
    for (const client of [...this.clients]) {
      if (!client.principal) continue;
      const now = check(client.principal);
      if (!now) {
        client.close();
        client.socket.close(1008, 'credentials revoked');
        this.clients.delete(client);
        this.clientList = null;
        this.recipients.clear();
        continue;
      }
      client.principal = now;
      for (const c of [...client.channels]) if (!mayRead(now, c as Channel)) client.channels.delete(c);
    }
    this.metrics.websocketClients.set(this.clients.size);
  }

  async close(): Promise<void> {
    this.offBus();
    this.backlog.length = 0;
    this.unsent.clear();
    this.recipients.clear();
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = null;
    for (const c of this.clients) {
      c.close();
      c.socket.close(1001, 'server shutting down');
    }
    this.clients.clear();
    this.clientList = null;
    await this.preview.close();
  }

  private receive(client: StreamClient, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      client.sendEvent({ type: 'error', code: 'VALIDATION_FAILED', message: 'message is not JSON' });
      return;
    }
    if (!Value.Check(ClientMessage, message)) {
      const first = [...Value.Errors(ClientMessage, message)][0];
      client.sendEvent({
        type: 'error',
        code: 'VALIDATION_FAILED',
        message: `invalid message: ${first?.path ?? ''} ${first?.message ?? ''}`.trim(),
      });
      return;
    }
    const m = message as ClientMessage;
    if (m.type === 'ping') {
      client.sendEvent({ type: 'pong', time: this.clock.now() });
      return;
    }
    if (m.type === 'subscribe') {
      const channels = m.channels ?? [];
      const refused = channels.filter((c) => !mayRead(client.principal, c));
      if (refused.length > 0) {
        client.sendEvent({
          type: 'error',
          code: 'FORBIDDEN',
          message: refused.map((c) => `channel ${c} needs role ${ChannelRoles[c]}`).join('; '),
        });
        return;
      }
      const signals = [...new Set(m.signals ?? [])];
      const added = signals.filter((s) => !client.hasSubscription(s)).length;
      if (client.subscriptionCount + added > MAX_SIGNAL_SUBSCRIPTIONS) {
        client.sendEvent({
          type: 'error',
          code: 'VALIDATION_FAILED',
          message: `at most ${MAX_SIGNAL_SUBSCRIPTIONS} signal subscriptions per client (${client.subscriptionCount} held, ${added} more asked); nothing was subscribed`,
        });
        return;
      }
      const rate = m.max_rate_hz ?? DEFAULT_SIGNAL_RATE_HZ;
      for (const s of signals) client.subscribeSignal(s, rate);
      for (const c of channels) client.channels.add(c);
      if (m.camera) {
        const cam = Value.Default(ClientMessage.anyOf[0].properties.camera, { ...m.camera }) as {
          instrument: string;
          max_fps: number;
          max_width: number;
        };
        client.camera = {
          instrument: cam.instrument,
          periodMs: 1000 / cam.max_fps,
          maxWidth: cam.max_width,
          lastSentAt: Number.NEGATIVE_INFINITY,
        };
      }
      // The change only, and the totals: echoing every subscription so far would make a client
      // that subscribes in many small messages cost quadratic output.
      client.sendEvent({
        type: 'subscribed',
        signals,
        channels,
        camera: client.camera?.instrument ?? null,
        total: { signals: client.subscriptionCount, channels: client.channels.size },
      });
      return;
    }
    for (const s of m.signals ?? []) client.unsubscribeSignal(s);
    for (const c of m.channels ?? []) client.channels.delete(c);
    if (m.camera) client.camera = null;
    client.sendEvent({ type: 'unsubscribed' });
  }

  private route(topic: string, payload: unknown): void {
    if (this.clients.size === 0) return;
    if (topic === 'instrument.reading') {
      this.fanOutReading(payload as BenchtopEvents['instrument.reading']);
      return;
    }
    if (topic === 'camera.frame') {
      this.routeFrame(payload as { instrument: string; frame: Frame });
      return;
    }
    const channel = channelOf(topic);
    if (!channel) return;
    const message = { type: topic, ...(payload as object) };
    this.fanOut({
      deliver: (c) => {
        if (c.channels.has(channel)) c.sendEvent(message);
      },
      signal: null,
      reading: null,
    });
  }

  /**
   * A reading still waiting for its first slice is replaced by a newer one of the same signal
   * (every client's throttle would coalesce them anyway): when the fan-out cannot keep up with
   * the instruments, the backlog stays one reading per signal instead of growing, and what
   * clients get is the latest value, not an ever older one.
   */
  private fanOutReading(reading: BenchtopEvents['instrument.reading']): void {
    const signal = `${reading.instrument}.${reading.signal}`;
    const queued = this.unsent.get(signal);
    if (queued) {
      queued.reading = reading;
      return;
    }
    const clients = this.recipientsOf(signal, reading.instrument);
    if (clients.length === 0) return;
    const job: FanoutJob = { deliver: offerReading, signal, reading, clients, next: 0, spentMs: 0 };
    this.unsent.set(signal, job);
    this.enqueue(job);
  }

  private recipientsOf(signal: string, instrument: string): readonly StreamClient[] {
    let list = this.recipients.get(signal);
    if (!list) {
      list = [...this.clients].filter((c) => c.wants(signal, instrument));
      this.recipients.set(signal, list);
    }
    return list;
  }

  /**
   * Sends to every client now, as far as one slice goes, and the rest after the event loop
   * has had a turn (setImmediate). While a fan-out is unfinished, later ones queue behind it,
   * so every client still gets messages in the order they were published.
   */
  private fanOut(job: Pick<FanoutJob, 'deliver' | 'signal' | 'reading'>): void {
    this.clientList ??= [...this.clients];
    this.enqueue({ ...job, clients: this.clientList, next: 0, spentMs: 0 });
  }

  private enqueue(job: FanoutJob): void {
    this.backlog.push(job);
    if (!this.continuation) this.sendSlice();
  }

  private sendSlice(): void {
    const until = performance.now() + this.sliceMs;
    let outOfTime = false;
    while (!outOfTime && this.backlog.length > 0) {
      const job = this.backlog[0]!;
      // Started: from now on a newer reading of its signal is a job of its own.
      if (job.next === 0 && job.signal !== null && this.unsent.get(job.signal) === job)
        this.unsent.delete(job.signal);
      const started = performance.now();
      while (job.next < job.clients.length) {
        const end = Math.min(job.clients.length, job.next + FANOUT_CHECK_CLIENTS);
        for (let i = job.next; i < end; i++) {
          const client = job.clients[i]!;
          if (!client.closed) job.deliver(client, job);
        }
        job.next = end;
        outOfTime = performance.now() >= until;
        if (outOfTime) break;
      }
      job.spentMs += performance.now() - started;
      if (job.next < job.clients.length) break;
      this.backlog.shift();
      if (job.reading)
        this.metrics.processingDuration.observe({ stage: 'websocket_fanout' }, job.spentMs / 1000);
    }
    if (this.backlog.length > 0)
      this.continuation = setImmediate(() => {
        this.continuation = null;
        this.sendSlice();
      });
  }

  private routeFrame({ instrument, frame }: { instrument: string; frame: Frame }): void {
    const now = this.clock.monotonic();
    const due = [...this.clients].filter(
      (c) => c.camera?.instrument === instrument && now - c.camera.lastSentAt >= c.camera.periodMs,
    );
    if (due.length === 0) return;
    const maxWidth = Math.max(...due.map((c) => c.camera!.maxWidth));
    void this.preview.render(frame, maxWidth).then(
      (result) => {
        if (!result) return;
        const bytes = encodePreview(instrument, frame, result);
        for (const c of due) if (c.camera && c.sendBinary(bytes)) c.camera.lastSentAt = now;
      },
      (error: unknown) => this.log.warn({ err: error }, 'camera preview failed'),
    );
  }
}
