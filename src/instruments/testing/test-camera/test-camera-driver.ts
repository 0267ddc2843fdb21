import { Type } from '@sinclair/typebox';
import type { CapabilityDescription } from '../../../core/capabilities.ts';
import { type Clock, sleep } from '../../../core/clock.ts';
import type { DriverIdentity, InstrumentDriver, SignalDef } from '../../../core/device.ts';
import { action, type DriverActions, signal } from '../../../core/device-builder.ts';
import type { Frame } from '../../../core/frame.ts';
import type { FrameRequest, FrameSource } from '../../../core/frame-source.ts';
import type { DriverDeps } from '../../kind.ts';
import type { TestCameraConfig } from './kind.ts';

const noArgs = Type.Object({}, { additionalProperties: false });

/**
 * Renders a diagonal ramp offset by the frame number, one frame per exposure on the driver's
 * clock. Its names differ from PVCAM's on purpose: `exposure_time` in seconds, `lost_frames`,
 * `streaming`; actions `begin`, `halt`, `grab`.
 */
export class TestCameraDriver implements InstrumentDriver {
  readonly type = 'TestCamera';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  readonly capabilities: readonly CapabilityDescription[] = [
    {
      kind: 'camera',
      signals: { exposure: 'exposure_time', frames_dropped: 'lost_frames', acquiring: 'streaming' },
      actions: { start_live: 'begin', stop_live: 'halt', snap: 'grab' },
    },
  ];
  readonly frameSource: FrameSource;
  private readonly id: string;
  private readonly config: TestCameraConfig;
  private readonly clock: Clock;
  private readonly deps: DriverDeps;
  private exposureS: number;
  private frameNumber = 0;
  private live: AbortController | null = null;

  constructor(id: string, config: TestCameraConfig, deps: DriverDeps) {
    this.id = id;
    this.config = config;
    this.deps = deps;
    this.clock = deps.clock;
    this.exposureS = config.exposure_s;
    this.frameSource = { acquire: (request) => this.frames(request) };
    this.signals = {
      exposure_time: signal<number>({
        dtype: 'number',
        unit: 's',
        precision: 4,
        limits: { min: 0.0001, max: 10 },
        description: 'Exposure per frame',
        read: async () => this.exposureS,
        write: async (seconds) => {
          this.exposureS = seconds;
          return undefined;
        },
      }),
      lost_frames: signal<number>({
        dtype: 'integer',
        description: 'Frames lost (this camera loses none)',
        read: async () => 0,
      }),
      streaming: signal<boolean>({
        dtype: 'boolean',
        monitored: true,
        description: 'Live acquisition running',
        read: async () => this.live !== null,
      }),
    };
    this.actions = {
      begin: action({
        description: 'Start live: a frame per exposure to camera.frame until halt',
        args: noArgs,
        run: async () => {
          if (!this.live) {
            this.live = new AbortController();
            void this.runLive(this.live);
          }
          return { acquiring: true };
        },
      }),
      halt: action({
        description: 'Stop live',
        args: noArgs,
        run: async () => {
          this.live?.abort();
          this.live = null;
          return { acquiring: false };
        },
      }),
      grab: action({
        description: 'Take one frame; returns its number',
        args: noArgs,
        run: async (_args, ctx) => {
          const frame = await this.next(this.exposureS * 1000, ctx.signal);
          this.deps.bus?.emit('camera.frame', { instrument: this.id, frame });
          return { frameNumber: frame.frameNumber };
        },
      }),
    };
  }

  async connect(): Promise<DriverIdentity> {
    return { model: 'TestCamera' };
  }

  async disconnect(): Promise<void> {
    this.live?.abort();
    this.live = null;
  }

  private async runLive(live: AbortController): Promise<void> {
    while (!live.signal.aborted) {
      const frame = await this.next(this.exposureS * 1000, live.signal).catch(() => null);
      if (frame) this.deps.bus?.emit('camera.frame', { instrument: this.id, frame });
    }
  }

  private async *frames(request: FrameRequest): AsyncIterable<Frame> {
    const started = this.clock.monotonic();
    const exposureMs = request.exposureMs ?? this.exposureS * 1000;
    for (let n = 0; request.count === undefined || n < request.count; n++) {
      if (request.durationMs !== undefined && this.clock.monotonic() - started >= request.durationMs) return;
      const frame = await this.next(exposureMs, request.signal).catch(() => null);
      if (!frame) return;
      yield frame;
    }
  }

  private rampCache: Uint16Array | null = null;

  /** k · 64 (mod 2¹⁶) for k up to 1024 + `span`. */
  private ramp(span: number): Uint16Array {
    if (!this.rampCache || this.rampCache.length < 1024 + span) {
      this.rampCache = new Uint16Array(1024 + span);
      for (let k = 0; k < this.rampCache.length; k++) this.rampCache[k] = k * 64;
    }
    return this.rampCache;
  }

  /** Waits one exposure, then renders the frame. */
  private async next(exposureMs: number, abort: AbortSignal): Promise<Frame> {
    await sleep(this.clock, exposureMs, abort);
    const { width, height } = this.config;
    const frameNumber = ++this.frameNumber;
    const pixels = new Uint16Array(width * height);
    // (x + y + n) · 64 wraps at 1024 steps: each row is a slice of one ramp, copied, not computed
    // pixel by pixel (a camera's frames come from native code; this one's should cost little).
    const ramp = this.ramp(width + height);
    for (let y = 0; y < height; y++) {
      const start = (y + frameNumber) % 1024;
      pixels.set(ramp.subarray(start, start + width), y * width);
    }
    return { pixels, width, height, frameNumber, timestamp: this.clock.now(), bitDepth: 16, exposureMs };
  }
}
