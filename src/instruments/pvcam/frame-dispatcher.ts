import type { EventBus } from '../../core/bus.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * A direct frame consumer. Returning a promise holds the frame's buffer slot until it settles
 * (PVCAM's unlock), so a consumer that needs time applies backpressure and, if it falls too far
 * behind, causes counted overruns instead of unbounded queues.
 */
export type FrameListener = (frame: Frame) => void | Promise<void>;

/** Frames the achieved rate is measured over. */
const RATE_WINDOW_FRAMES = 16;

/**
 * Hands each frame to the bus as `camera.frame` (first) and then to the direct listeners, and
 * keeps the consumer-side counters: frames delivered and the rate they were acquired at.
 * Every consumer gets the same Frame object: its pixels are shared and read-only. Bus
 * subscribers must copy what they keep before returning; a direct listener (the recorder) may
 * transfer `pixels.buffer`, which detaches it for anyone after it.
 */
export class FrameDispatcher {
  private readonly instrument: string;
  private readonly bus: EventBus<BenchtopEvents> | undefined;
  private readonly log: Logger;
  private readonly listeners = new Set<FrameListener>();
  private readonly recentTimestamps: number[] = [];
  private count = 0;
  private latest: Frame | undefined;

  constructor(options: { instrument: string; bus?: EventBus<BenchtopEvents>; log: Logger }) {
    this.instrument = options.instrument;
    this.bus = options.bus;
    this.log = options.log;
  }

  onFrame(listener: FrameListener): () => void {
    // Wrapped so the same function can subscribe twice and unsubscribe each independently.
    const entry: FrameListener = (frame) => listener(frame);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Delivers one frame; resolves when every listener that asked for time is done with it. */
  async deliver(frame: Frame): Promise<void> {
    this.count++;
    this.latest = frame;
    this.recentTimestamps.push(frame.timestamp);
    if (this.recentTimestamps.length > RATE_WINDOW_FRAMES) this.recentTimestamps.shift();
    // Bus subscribers (previews) see the frame first and copy what they keep synchronously; the
    // direct listeners come after, since a recorder transfers the buffer to its writer thread.
    this.bus?.emit('camera.frame', { instrument: this.instrument, frame });
    const holds: Promise<void>[] = [];
    for (const listener of [...this.listeners]) {
      try {
        const hold = listener(frame);
        if (hold) holds.push(hold);
      } catch (error) {
        this.log.error({ err: error, frameNumber: frame.frameNumber }, 'frame listener threw');
      }
    }
    for (const outcome of await Promise.allSettled(holds)) {
      if (outcome.status === 'rejected') {
        this.log.error({ err: outcome.reason, frameNumber: frame.frameNumber }, 'frame listener failed');
      }
    }
  }

  /** Starts counting afresh (a new acquisition). */
  reset(): void {
    this.count = 0;
    this.recentTimestamps.length = 0;
  }

  get framesDelivered(): number {
    return this.count;
  }

  /** The most recent frame delivered, if any. */
  get lastFrame(): Frame | undefined {
    return this.latest;
  }

  /** Frames per second over the last frames delivered (by their camera timestamps); 0 with fewer than two. */
  achievedRate(): number {
    const ts = this.recentTimestamps;
    if (ts.length < 2) return 0;
    const span = ts[ts.length - 1]! - ts[0]!;
    return span > 0 ? ((ts.length - 1) * 1000) / span : 0;
  }
}
