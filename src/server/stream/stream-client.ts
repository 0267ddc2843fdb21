import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Reading } from '../../core/reading.ts';
import type { Principal } from '../auth/roles.ts';

/** What the hub needs from a socket (ws.WebSocket satisfies it; tests pass a fake). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/**
 * The byte stream under a socket (a net.Socket): the readings of one event-loop turn are corked
 * into one write instead of one system call per message (a 200-point poll is 200 messages).
 */
export interface CorkableWire {
  cork(): void;
  uncork(): void;
}

export interface SlowClientPolicy {
  /** Above this many unsent bytes, updates are skipped (the latest value is sent later). */
  softLimitBytes: number;
  /** Above this the client is disconnected: it is not keeping up at all. */
  hardLimitBytes: number;
}

const JITTER_ALLOWANCE = 0.8;

interface SignalSubscription {
  periodMs: number;
  lastSentAt: number;
  pending: Reading | null;
}

/**
 * One WebSocket client's subscriptions and send queue. Readings are throttled per signal
 * (coalesced to the latest value), and a slow client is skipped ahead or dropped: the server
 * never buffers without bound for anyone.
 */
export class StreamClient {
  readonly id: number;
  readonly socket: StreamSocket;
  /** Who opened the stream; checked again whenever keys or users change. */
  principal: Principal | null = null;
  private readonly clock: Clock;
  private readonly policy: SlowClientPolicy;
  private readonly onDrop: (reason: 'slow_skip' | 'slow_disconnect') => void;
  private readonly wire: CorkableWire | null;
  private corked = false;
  /** Told the path of every subscription added or removed (the hub's recipient index). */
  onSubscriptionChange: (path: string) => void = () => {};
  readonly signals = new Map<string, SignalSubscription>();
  /** `instrument.*` wildcard subscriptions, by instrument id. */
  readonly wildcards = new Map<string, number>();
  readonly channels = new Set<string>();
  /** What the client asked for, bounded per client (MAX_SIGNAL_SUBSCRIPTIONS). */
  private readonly explicit = new Set<string>();
  camera: { instrument: string; periodMs: number; maxWidth: number; lastSentAt: number } | null = null;
  private flushTimer: TimerHandle | null = null;
  /** When the pending flush fires (monotonic ms); an earlier due reading moves it forward. */
  private flushAt = Number.POSITIVE_INFINITY;
  closed = false;
  skipped = 0;

  constructor(
    id: number,
    socket: StreamSocket,
    clock: Clock,
    policy: SlowClientPolicy,
    onDrop: (reason: 'slow_skip' | 'slow_disconnect') => void,
    wire: CorkableWire | null = null,
  ) {
    this.id = id;
    this.socket = socket;
    this.clock = clock;
    this.policy = policy;
    this.onDrop = onDrop;
    this.wire = wire;
  }

  /** Whether a reading of `path` (of `instrument`) is for this client. */
  wants(path: string, instrument: string): boolean {
    return this.signals.has(path) || this.wildcards.has(instrument);
  }

  /** Explicit signal and wildcard subscriptions, as asked. */
  subscriptions(): IterableIterator<string> {
    return this.explicit.values();
  }

  subscribeSignal(path: string, rateHz: number): void {
    // Readings are spaced at least 80 % of the period apart: a source that publishes at exactly
    // the subscribed rate passes through undelayed despite its jitter (at a spacing of exactly one
    // period, every early reading would wait, and the waits would add up to a whole period).
    const periodMs = (1000 / rateHz) * JITTER_ALLOWANCE;
    this.explicit.add(path);
    if (path.endsWith('.*')) this.wildcards.set(path.slice(0, -2), periodMs);
    else this.signals.set(path, { periodMs, lastSentAt: Number.NEGATIVE_INFINITY, pending: null });
    this.onSubscriptionChange(path);
  }

  /** Explicit signal and wildcard subscriptions (signals a wildcard brought in are not counted). */
  get subscriptionCount(): number {
    return this.explicit.size;
  }

  hasSubscription(path: string): boolean {
    return this.explicit.has(path);
  }

  unsubscribeSignal(path: string): void {
    this.explicit.delete(path);
    if (path.endsWith('.*')) this.wildcards.delete(path.slice(0, -2));
    else this.signals.delete(path);
    this.onSubscriptionChange(path);
  }

  /**
   * Offers a reading; sends now, later (coalesced), or not at all if unsubscribed. `path` is
   * `instrument.signal`: the hub builds it once per reading rather than once per client.
   */
  offerReading(reading: Reading, path = `${reading.instrument}.${reading.signal}`): void {
    let sub = this.signals.get(path);
    if (!sub) {
      const period = this.wildcards.get(reading.instrument);
      if (period === undefined) return;
      sub = { periodMs: period, lastSentAt: Number.NEGATIVE_INFINITY, pending: null };
      this.signals.set(path, sub);
    }
    const now = this.clock.monotonic();
    if (now - sub.lastSentAt >= sub.periodMs && !sub.pending) {
      if (this.trySend(readingMessage(reading))) sub.lastSentAt = now;
      else sub.pending = reading;
      return;
    }
    sub.pending = reading;
    this.scheduleFlush(Math.max(0, sub.lastSentAt + sub.periodMs - now));
  }

  /** Sends a message that must not be coalesced (states, documents, alarms); skipped if the client is slow. */
  sendEvent(message: object): boolean {
    return this.trySend(JSON.stringify(message));
  }

  sendBinary(data: Uint8Array): boolean {
    return this.trySend(data);
  }

  close(): void {
    this.closed = true;
    this.flushTimer?.cancel();
    this.flushTimer = null;
  }

  private scheduleFlush(delayMs: number): void {
    if (this.closed) return;
    const at = this.clock.monotonic() + delayMs;
    // One timer per client, set for the earliest due reading: a signal due sooner than the one
    // the timer waits for must not wait behind it.
    if (this.flushTimer && at >= this.flushAt) return;
    this.flushTimer?.cancel();
    this.flushAt = at;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flushAt = Number.POSITIVE_INFINITY;
      this.flush();
    }, delayMs);
  }

  private flush(): void {
    const now = this.clock.monotonic();
    let next = Number.POSITIVE_INFINITY;
    for (const sub of this.signals.values()) {
      if (!sub.pending) continue;
      const due = sub.lastSentAt + sub.periodMs;
      if (due <= now) {
        if (!this.trySend(readingMessage(sub.pending))) {
          next = Math.min(next, now + sub.periodMs);
          continue;
        }
        sub.pending = null;
        // The slot it was due in, not the (possibly late) moment the timer fired: lateness must
        // not carry over and hold every later reading back by the same amount.
        sub.lastSentAt = Math.max(due, now - sub.periodMs);
      } else next = Math.min(next, due);
    }
    if (next !== Number.POSITIVE_INFINITY) this.scheduleFlush(next - now);
  }

  private trySend(data: string | Uint8Array): boolean {
    if (this.closed) return false;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.policy.hardLimitBytes) {
      this.onDrop('slow_disconnect');
      this.socket.close(1013, 'client too slow: disconnected to protect the server');
      this.close();
      return false;
    }
    if (buffered > this.policy.softLimitBytes) {
      this.skipped++;
      this.onDrop('slow_skip');
      return false;
    }
    if (this.wire && !this.corked) {
      this.corked = true;
      this.wire.cork();
      setImmediate(this.uncork);
    }
    this.socket.send(data);
    return true;
  }

  /** After the turn's I/O callbacks: whatever this turn sent goes out in one write. */
  private readonly uncork = () => {
    this.corked = false;
    this.wire?.uncork();
  };
}

/**
 * The last reading's wire text: a fan-out offers the same reading to every client, and
 * encoding it once instead of once per client takes most of the JSON work off the burst.
 */
let encoded: { reading: Reading; text: string } | null = null;

function readingMessage(r: Reading): string {
  if (encoded?.reading === r) return encoded.text;
  const text = encodeReading(r);
  encoded = { reading: r, text };
  return text;
}

function encodeReading(r: Reading): string {
  return JSON.stringify({
    type: 'reading',
    instrument: r.instrument,
    signal: r.signal,
    value: r.value,
    unit: r.unit ?? null,
    timestamp: r.timestamp,
    quality: r.quality,
  });
}
