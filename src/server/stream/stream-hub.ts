import { Value } from '@sinclair/typebox/value';
import type { EventBus } from '../../core/bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { Logger } from '../../core/logger.ts';
import { type Principal, roleAtLeast } from '../auth/roles.ts';
import type { BenchtopMetrics } from '../metrics/benchtop-metrics.ts';
import { CameraPreviewRenderer, encodePreview } from './camera-preview.ts';
import { type SlowClientPolicy, StreamClient, type StreamSocket } from './stream-client.ts';
import {
  type Channel,
  ChannelRoles,
  ClientMessage,
  DEFAULT_SIGNAL_RATE_HZ,
  MAX_SIGNAL_SUBSCRIPTIONS,
} from './stream-protocol.ts';

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

  constructor(options: {
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
    metrics: BenchtopMetrics;
    logger: Logger;
    policy?: SlowClientPolicy;
  }) {
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
  ): {
    onMessage: (text: string) => void;
    onClose: () => void;
    client: StreamClient;
  } {
    const client = new StreamClient(this.nextId++, socket, this.clock, this.policy, (reason) =>
      this.metrics.websocketDropped.inc({ reason }),
    );
    client.principal = principal;
    this.clients.add(client);
    this.metrics.websocketClients.set(this.clients.size);
    return {
      client,
      onMessage: (text) => this.receive(client, text),
      onClose: () => {
        client.close();
        this.clients.delete(client);
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
        continue;
      }
      client.principal = now;
      for (const c of [...client.channels]) if (!mayRead(now, c as Channel)) client.channels.delete(c);
    }
    this.metrics.websocketClients.set(this.clients.size);
  }

  async close(): Promise<void> {
    this.offBus();
    for (const c of this.clients) {
      c.close();
      c.socket.close(1001, 'server shutting down');
    }
    this.clients.clear();
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
      const started = performance.now();
      for (const c of this.clients) c.offerReading(payload as BenchtopEvents['instrument.reading']);
      this.metrics.processingDuration.observe(
        { stage: 'websocket_fanout' },
        (performance.now() - started) / 1000,
      );
      return;
    }
    if (topic === 'camera.frame') {
      this.routeFrame(payload as { instrument: string; frame: Frame });
      return;
    }
    const channel = channelOf(topic);
    if (!channel) return;
    const message = { type: topic, ...(payload as object) };
    for (const c of this.clients) if (c.channels.has(channel)) c.sendEvent(message);
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
