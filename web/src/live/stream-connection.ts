import type { Channel, ClientMessage } from '../../../src/server/stream/stream-protocol.ts';
import { session } from '../api/session.ts';

export type { Channel };
export type StreamStatus = 'connecting' | 'connected' | 'disconnected';
/** The camera part of a subscribe message, as the server's stream protocol defines it. */
export type CameraSubscription = NonNullable<Extract<ClientMessage, { type: 'subscribe' }>['camera']>;

type MessageListener = (message: Record<string, unknown>) => void;

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;
const PING_EVERY_MS = 15_000;
/** No message (not even a pong) for this long: the connection is dead even if TCP has not noticed. */
const SILENCE_LIMIT_MS = 40_000;

/**
 * The one WebSocket to /api/v1/stream. Pages ask for signals, channels and the camera preview
 * with reference counts; the connection sends the union to the server, re-sends it after every
 * reconnect, and reconnects by itself (exponential backoff with jitter) when the server goes away.
 */
export class StreamConnection {
  private ws: WebSocket | null = null;
  private statusValue: StreamStatus = 'connecting';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private started = false;
  private offSession: (() => void) | null = null;
  private readonly signalRefs = new Map<string, number>();
  private readonly channelRefs = new Map<Channel, number>();
  private readonly cameraRefs = new Map<string, { sub: CameraSubscription; refs: number }>();
  private readonly toSubscribe = new Set<string>();
  private readonly toUnsubscribe = new Set<string>();
  private flushQueued = false;
  private readonly listeners = new Map<string, Set<MessageListener>>();
  private readonly binaryListeners = new Set<(data: ArrayBuffer) => void>();
  private readonly statusListeners = new Set<(status: StreamStatus) => void>();

  get status(): StreamStatus {
    return this.statusValue;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.offSession = session.onChange(() => this.reconnectNow());
    this.open();
  }

  /** Logged out: no connection until `start` again (it would only be refused). */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.offSession?.();
    this.offSession = null;
    const ws = this.ws;
    this.ws = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    ws?.close();
    this.attempt = 0;
    this.setStatus('connecting');
  }

  /** Reference-counted: the server is asked for a signal while anyone on the page shows it. */
  addSignals(keys: string[]): () => void {
    for (const key of keys) {
      const n = this.signalRefs.get(key) ?? 0;
      this.signalRefs.set(key, n + 1);
      if (n === 0) {
        this.toUnsubscribe.delete(key);
        this.toSubscribe.add(key);
      }
    }
    this.queueFlush();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const n = (this.signalRefs.get(key) ?? 1) - 1;
        if (n > 0) {
          this.signalRefs.set(key, n);
          continue;
        }
        this.signalRefs.delete(key);
        this.toSubscribe.delete(key);
        this.toUnsubscribe.add(key);
      }
      this.queueFlush();
    };
  }

  addChannels(channels: Channel[]): () => void {
    const added: Channel[] = [];
    for (const c of channels) {
      const n = this.channelRefs.get(c) ?? 0;
      this.channelRefs.set(c, n + 1);
      if (n === 0) added.push(c);
    }
    if (added.length > 0) this.send({ type: 'subscribe', channels: added });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const removed: Channel[] = [];
      for (const c of channels) {
        const n = (this.channelRefs.get(c) ?? 1) - 1;
        if (n > 0) this.channelRefs.set(c, n);
        else {
          this.channelRefs.delete(c);
          removed.push(c);
        }
      }
      if (removed.length > 0) this.send({ type: 'unsubscribe', channels: removed });
    };
  }

  /** The server sends previews of one camera per connection; the latest request wins. */
  addCamera(sub: CameraSubscription): () => void {
    const entry = this.cameraRefs.get(sub.instrument) ?? { sub, refs: 0 };
    entry.refs++;
    entry.sub = sub;
    this.cameraRefs.set(sub.instrument, entry);
    this.send({ type: 'subscribe', camera: sub });
    return () => {
      entry.refs--;
      if (entry.refs > 0) return;
      this.cameraRefs.delete(sub.instrument);
      const other = [...this.cameraRefs.values()][0];
      this.send(other ? { type: 'subscribe', camera: other.sub } : { type: 'unsubscribe', camera: true });
    };
  }

  on(type: string, listener: MessageListener): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  onBinary(listener: (data: ArrayBuffer) => void): () => void {
    this.binaryListeners.add(listener);
    return () => this.binaryListeners.delete(listener);
  }

  onStatus(listener: (status: StreamStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private url(): string {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const token = session.accessToken;
    return `${scheme}://${location.host}/api/v1/stream${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  }

  private open(): void {
    this.setStatus(
      this.attempt === 0 && this.statusValue !== 'disconnected' ? 'connecting' : this.statusValue,
    );
    const ws = new WebSocket(this.url());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastMessageAt = Date.now();
      this.toSubscribe.clear();
      this.toUnsubscribe.clear();
      this.sendEverything();
      this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
      this.setStatus('connected');
    };
    ws.onmessage = (event: MessageEvent) => {
      this.lastMessageAt = Date.now();
      if (typeof event.data === 'string') this.dispatch(event.data);
      else for (const l of this.binaryListeners) l(event.data as ArrayBuffer);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = null;
      this.setStatus('disconnected');
      this.scheduleReconnect();
    };
  }

  private reconnectNow(): void {
    if (!this.started) return;
    const ws = this.ws;
    this.ws = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    ws?.close();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempt = 0;
    this.open();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt);
    this.attempt++;
    // Jitter, so a room full of dashboards does not reconnect in lockstep after a restart.
    const delay = base * (0.5 + Math.random() / 2);
    this.reconnectTimer = setTimeout(async () => {
      // After a long outage the token may have expired meanwhile (the server would refuse it).
      if (session.expiring) await session.refresh();
      this.reconnectTimer = null;
      if (this.started && !this.ws) this.open();
    }, delay);
  }

  private keepAlive(): void {
    if (Date.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
      this.ws?.close();
      return;
    }
    this.send({ type: 'ping' });
  }

  private sendEverything(): void {
    const signals = [...this.signalRefs.keys()];
    const channels = [...this.channelRefs.keys()];
    const camera = [...this.cameraRefs.values()][0]?.sub;
    if (signals.length === 0 && channels.length === 0 && !camera) return;
    this.send({
      type: 'subscribe',
      ...(signals.length > 0 ? { signals } : {}),
      ...(channels.length > 0 ? { channels } : {}),
      ...(camera ? { camera } : {}),
    });
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Many components mount in one render: their signals go to the server in one message.
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.toSubscribe.size > 0) this.send({ type: 'subscribe', signals: [...this.toSubscribe] });
      if (this.toUnsubscribe.size > 0) this.send({ type: 'unsubscribe', signals: [...this.toUnsubscribe] });
      this.toSubscribe.clear();
      this.toUnsubscribe.clear();
    });
  }

  private send(message: object): void {
    // While disconnected nothing is lost: everything wanted is sent again on open.
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private dispatch(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const type = String(message.type);
    for (const l of this.listeners.get(type) ?? []) l(message);
    for (const l of this.listeners.get('*') ?? []) l(message);
  }

  private setStatus(status: StreamStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const l of this.statusListeners) l(status);
  }
}

export const stream = new StreamConnection();
