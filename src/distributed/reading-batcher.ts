import type { Clock, TimerHandle } from '../core/clock.ts';
import type { ReadingBatch } from './messages.ts';

type Samples = ReadingBatch['samples'];

interface Pending {
  inst: string;
  samples: Samples;
  lastSentAt: number;
  timer: TimerHandle | null;
}

/**
 * Batches live readings per subject (one signal) with a leading edge: a signal not sent within
 * the last `batchMs` goes out at once; one sent more recently waits until `batchMs` after its
 * last message, and everything it produced meanwhile goes in that one message. A signal polled
 * at 10 Hz therefore costs no latency, while a 1 kHz one is still one message per `batchMs`.
 * (A fixed window delayed every reading by up to `batchMs`: 10 ms of the 20 ms budget from
 * agent to WebSocket, for signals that never shared a message anyway.)
 */
export class ReadingBatcher {
  private readonly clock: Clock;
  private readonly batchMs: number;
  private readonly send: (subject: string, inst: string, samples: Samples) => void;
  private readonly pending = new Map<string, Pending>();

  constructor(options: {
    clock: Clock;
    batchMs: number;
    send: (subject: string, inst: string, samples: Samples) => void;
  }) {
    this.clock = options.clock;
    this.batchMs = options.batchMs;
    this.send = options.send;
  }

  add(subject: string, inst: string, sample: Samples[number]): void {
    let p = this.pending.get(subject);
    if (!p) {
      p = { inst, samples: [], lastSentAt: Number.NEGATIVE_INFINITY, timer: null };
      this.pending.set(subject, p);
    }
    p.samples.push(sample);
    if (p.timer) return;
    const wait = p.lastSentAt + this.batchMs - this.clock.monotonic();
    if (wait <= 0) this.sendNow(subject, p);
    else {
      const pending = p;
      p.timer = this.clock.setTimeout(() => {
        pending.timer = null;
        this.sendNow(subject, pending);
      }, wait);
    }
  }

  private sendNow(subject: string, p: Pending): void {
    if (p.samples.length === 0) return;
    p.lastSentAt = this.clock.monotonic();
    const samples = p.samples;
    p.samples = [];
    this.send(subject, p.inst, samples);
  }

  /** Sends everything waiting (a clean stop). */
  flush(): void {
    for (const [subject, p] of this.pending) {
      p.timer?.cancel();
      p.timer = null;
      this.sendNow(subject, p);
    }
  }
}
