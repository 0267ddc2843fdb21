import { Type } from '@sinclair/typebox';
import type { CapabilityDescription } from '../../core/capabilities.ts';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { DriverContext, DriverIdentity, InstrumentDriver, SignalDef } from '../../core/device.ts';
import { action, type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { FrameRequest, FrameSource } from '../../core/frame-source.ts';
import type { DriverDeps } from '../kind.ts';
import { FrameDispatcher } from '../pvcam/frame-dispatcher.ts';
import { aravis } from './aravis-library.ts';
import type { GenicamCameraConfig } from './config.ts';
import { GenicamLink } from './genicam-link.ts';
import type { GenicamSettings, WorkerStatistics } from './genicam-protocol.ts';
import { SUPPORTED_PIXEL_FORMATS } from './pixel-formats.ts';

const noArgs = Type.Object({}, { additionalProperties: false });
const featureArgs = Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const roiArgs = Type.Object(
  {
    x: Type.Integer({ minimum: 0 }),
    y: Type.Integer({ minimum: 0 }),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
/** Time a snap waits beyond one frame period. */
const SNAP_GRACE_MS = 5000;

const emptyStatistics: WorkerStatistics = {
  completed: 0,
  failures: 0,
  underruns: 0,
  missingFrames: 0,
  missingPackets: 0,
  resendRequests: 0,
  resentPackets: 0,
  consumerDrops: 0,
  unsupportedFormatFrames: 0,
};

/** Frames lost anywhere between the sensor and Benchtop's consumers. */
function framesDropped(s: WorkerStatistics): number {
  return s.failures + s.underruns + s.missingFrames + s.consumerDrops + s.unsupportedFormatFrames;
}

/**
 * A GigE Vision or USB3 Vision camera through libaravis. The libaravis calls run in an
 * acquisition worker (genicam-worker.ts); frames come back as transferred buffers and go, like
 * the simulated PVCAM camera's, through a FrameDispatcher: `camera.frame` on the bus first, then
 * the run engine's frame source. SFNC features are typed signals under their SFNC names; any
 * other feature is reachable by name through `get_feature` / `set_feature`.
 */
export class GenicamCameraDriver implements InstrumentDriver {
  readonly type = 'GenicamCamera';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  readonly capabilities: readonly CapabilityDescription[] = [
    {
      kind: 'camera',
      signals: {
        exposure: 'ExposureTime',
        roi_x: 'OffsetX',
        roi_y: 'OffsetY',
        roi_width: 'Width',
        roi_height: 'Height',
        binning: 'BinningHorizontal',
        frame_rate: 'AcquisitionFrameRate',
        frames_dropped: 'frames_dropped',
        acquiring: 'acquiring',
        trigger_mode: 'TriggerMode',
      },
      actions: { start_live: 'start_live', stop_live: 'stop_live', snap: 'snap', set_roi: 'set_roi' },
    },
  ];
  readonly frameSource: FrameSource;
  private readonly id: string;
  private readonly config: GenicamCameraConfig;
  private readonly clock: Clock;
  private readonly dispatcher: FrameDispatcher;
  private link: GenicamLink | null = null;
  private ctx: DriverContext | null = null;
  private live = false;
  private delivering: Promise<void> = Promise.resolve();
  private statistics: WorkerStatistics = emptyStatistics;
  /** Set while the camera sends frames in a format Benchtop does not read; cleared by a write. */
  private refusal: BenchtopError | null = null;
  /** Frame waiters to wake when that happens, so they fail at once naming the format. */
  private readonly refusalWaiters = new Set<() => void>();
  private readonly log: DriverDeps['log'];

  constructor(id: string, config: GenicamCameraConfig, deps: DriverDeps) {
    this.id = id;
    this.config = config;
    this.clock = deps.clock;
    this.log = deps.log;
    this.dispatcher = new FrameDispatcher({ instrument: id, bus: deps.bus, log: deps.log });
    this.frameSource = { acquire: (request) => this.acquireFrames(request) };
    this.signals = this.buildSignals();
    this.actions = this.buildActions();
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    aravis(); // Names the Debian package here, before a worker is started, if the library is missing.
    const link = new GenicamLink({
      frame: (frame) => this.received(link, frame),
      lost: (error) => this.lost(link, error),
      refused: (error) => this.refused(link, error),
    });
    try {
      const opened = await link.request<{
        model: string;
        vendor: string;
        serial: string;
        deviceId: string;
        transport: string;
        ignored: string[];
      }>({ op: 'open', settings: this.settings() });
      for (const why of opened.ignored)
        this.log.warn({ instrument: this.id, transport: opened.transport }, why);
      this.link = link;
      this.ctx = ctx;
      return {
        model: `${opened.vendor} ${opened.model}`.trim(),
        serial: opened.serial,
        raw: opened.deviceId,
      };
    } catch (error) {
      await link.close();
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    this.link = null;
    this.live = false;
    await link?.close();
  }

  /** Frames delivered one at a time, in order; each is acknowledged once every consumer is done with it. */
  private received(link: GenicamLink, frame: Frame): void {
    this.delivering = this.delivering.then(() => this.dispatcher.deliver(frame)).finally(() => link.ack());
  }

  private refused(link: GenicamLink, error: BenchtopError): void {
    if (this.link !== link) return;
    this.refusal = error;
    this.log.warn({ instrument: this.id }, error.message);
    for (const wake of this.refusalWaiters) wake();
  }

  private lost(link: GenicamLink, error: BenchtopError): void {
    if (this.link !== link) return;
    this.live = false;
    this.ctx?.linkLost(error);
  }

  private connected(): GenicamLink {
    if (!this.link)
      throw new BenchtopError('INSTRUMENT_UNAVAILABLE', `${this.id}: camera not connected`, {
        instrument: this.id,
      });
    return this.link;
  }

  private settings(): GenicamSettings {
    const c = this.config;
    return {
      ...(c.device_id !== undefined ? { deviceId: c.device_id } : {}),
      pixelFormat: c.pixel_format,
      roi: c.roi,
      binning: c.binning,
      exposureUs: c.exposure_us,
      frameRate: c.frame_rate,
      trigger: c.trigger,
      ...(c.packet_size !== undefined ? { packetSize: c.packet_size } : {}),
    };
  }

  private async refreshStatistics(): Promise<WorkerStatistics> {
    if (this.link) this.statistics = await this.link.request<WorkerStatistics>({ op: 'statistics' });
    return this.statistics;
  }

  private buildSignals(): Record<string, SignalDef> {
    const feature = <T extends number | string>(
      name: string,
      dtype: 'number' | 'integer' | 'string',
      description: string,
      unit?: string,
    ) =>
      signal<T>({
        dtype,
        description: `${description} (GenICam ${name})`,
        ...(unit !== undefined ? { unit } : {}),
        verifies: true,
        read: async () => (await this.connected().request<T>({ op: 'read', feature: name })) as T,
        write: async (value) => {
          this.refusal = null;
          await this.connected().request({ op: 'write', feature: name, value });
          return undefined;
        },
      });
    const counter = (description: string, pick: (s: WorkerStatistics) => number) =>
      signal<number>({
        dtype: 'integer',
        description,
        read: async () => pick(await this.refreshStatistics()),
      });
    return {
      ExposureTime: feature<number>('ExposureTime', 'number', 'Exposure per frame', 'us'),
      Gain: feature<number>('Gain', 'number', 'Analog gain', 'dB'),
      AcquisitionFrameRate: feature<number>('AcquisitionFrameRate', 'number', 'Frame rate in free run', 'Hz'),
      PixelFormat: {
        ...feature<string>('PixelFormat', 'string', 'Pixel format: mono, raw Bayer (pattern kept) or RGB'),
        dtype: 'enum',
        choices: SUPPORTED_PIXEL_FORMATS,
      },
      Width: feature<number>('Width', 'integer', 'Region width, binned pixels', 'px'),
      Height: feature<number>('Height', 'integer', 'Region height, binned pixels', 'px'),
      OffsetX: feature<number>('OffsetX', 'integer', 'Region left edge', 'px'),
      OffsetY: feature<number>('OffsetY', 'integer', 'Region top edge', 'px'),
      BinningHorizontal: feature<number>('BinningHorizontal', 'integer', 'Horizontal binning'),
      BinningVertical: feature<number>('BinningVertical', 'integer', 'Vertical binning'),
      TriggerMode: feature<string>('TriggerMode', 'string', 'Trigger mode (Off: free run)'),
      frames_acquired: signal<number>({
        dtype: 'integer',
        description: 'Frames delivered since the acquisition started',
        read: async () => this.dispatcher.framesDelivered,
      }),
      frames_dropped: counter(
        'Frames lost: incomplete in the stream, no free buffer, missing frame ids, consumers too slow, or in a pixel format Benchtop does not read',
        framesDropped,
      ),
      packets_missing: counter(
        'GVSP packets never received (GigE Vision; 0 on USB3 Vision)',
        (s) => s.missingPackets,
      ),
      packet_resend_requests: counter(
        'GVSP packet resend requests sent (GigE Vision; 0 on USB3 Vision)',
        (s) => s.resendRequests,
      ),
      packets_resent: counter(
        'GVSP packets received after a resend request (GigE Vision; 0 on USB3 Vision)',
        (s) => s.resentPackets,
      ),
      acquiring: signal<boolean>({
        dtype: 'boolean',
        monitored: true,
        description: 'Live acquisition running',
        read: async () => this.live,
      }),
    };
  }

  private buildActions(): DriverActions {
    return {
      start_live: action({
        description: 'Start acquiring: frames go to camera.frame until stop_live',
        args: noArgs,
        run: async () => {
          await this.startLive();
          return { acquiring: true };
        },
      }),
      stop_live: action({
        description: 'Stop acquiring; returns the frames delivered and dropped',
        args: noArgs,
        run: async () => {
          await this.stopLive();
          const stats = await this.refreshStatistics();
          return {
            acquiring: false,
            framesAcquired: this.dispatcher.framesDelivered,
            framesDropped: framesDropped(stats),
          };
        },
      }),
      snap: action({
        description:
          'Take one frame (starting and stopping the stream if it is not live); returns its number',
        args: noArgs,
        run: async (_args, ctx) => {
          for await (const frame of this.acquireFrames({ count: 1, signal: ctx.signal })) {
            return { frameNumber: frame.frameNumber, width: frame.width, height: frame.height };
          }
          throw new BenchtopError('INSTRUMENT_TIMEOUT', `${this.id}: no frame arrived`, {
            instrument: this.id,
          });
        },
      }),
      set_roi: action({
        description:
          'Set the region (OffsetX, OffsetY, Width, Height) at once; the stream restarts around it',
        args: roiArgs,
        run: async (region) => this.connected().request({ op: 'set_region', region }),
      }),
      get_feature: action({
        description: 'Read any GenICam feature by name, as a string',
        args: featureArgs,
        run: async ({ name }) => ({
          name,
          value: await this.connected().request({ op: 'read', feature: name }),
        }),
      }),
      set_feature: action({
        description: 'Write any GenICam feature by name from a string; returns the value read back',
        args: Type.Object(
          { name: Type.String({ minLength: 1 }), value: Type.String() },
          { additionalProperties: false },
        ),
        run: async ({ name, value }) => {
          this.refusal = null;
          return { name, value: await this.connected().request({ op: 'write', feature: name, value }) };
        },
      }),
      execute_feature: action({
        description: 'Execute a GenICam command feature by name (e.g. TriggerSoftware)',
        args: featureArgs,
        run: async ({ name }) => {
          await this.connected().request({ op: 'execute', feature: name });
          return { executed: name };
        },
      }),
      stream_statistics: action({
        description: "Aravis's stream counters and the frames dropped for slow consumers",
        args: noArgs,
        run: async () => this.refreshStatistics(),
      }),
    };
  }

  private async startLive(): Promise<void> {
    if (this.live) return;
    this.dispatcher.reset();
    const frames = this.config.buffer_frames;
    await this.connected().request({ op: 'start', bufferFrames: frames, maxInFlight: frames });
    this.live = true;
    this.ctx?.publish('acquiring', true);
  }

  private async stopLive(): Promise<void> {
    if (!this.live) return;
    this.live = false;
    await this.link?.request({ op: 'stop' });
    await this.delivering;
    this.ctx?.publish('acquiring', false);
    this.ctx?.publish('frames_dropped', framesDropped(await this.refreshStatistics()));
  }

  /**
   * Frames for the run engine and snap: a pulled frame holds its slot until the next pull, so a
   * slow consumer gets counted drops. Starts the stream if it is not live and stops it after.
   */
  private async *acquireFrames(request: FrameRequest): AsyncGenerator<Frame> {
    const queue: { frame: Frame; done: () => void }[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: BenchtopError | undefined;
    const stopWaiting = () => {
      finished = true;
      wake?.();
    };
    const refused = () => {
      failure ??= this.refusal ?? undefined;
      stopWaiting();
    };
    const off = this.dispatcher.onFrame(
      (frame) =>
        new Promise<void>((done) => {
          queue.push({ frame, done });
          wake?.();
        }),
    );
    request.signal.addEventListener('abort', stopWaiting, { once: true });
    this.refusalWaiters.add(refused);
    let timer: TimerHandle | null = null;
    let noFrame: TimerHandle | null = null;
    const startedHere = !this.live;
    try {
      if (request.exposureMs !== undefined) {
        await this.connected().request({
          op: 'write',
          feature: 'ExposureTime',
          value: request.exposureMs * 1000,
        });
      }
      await this.startLive();
      if (this.refusal) refused();
      if (request.durationMs !== undefined) timer = this.clock.setTimeout(stopWaiting, request.durationMs);
      const frameRate = this.config.frame_rate;
      let delivered = 0;
      while (
        !finished &&
        !request.signal.aborted &&
        (request.count === undefined || delivered < request.count)
      ) {
        const item = queue.shift();
        if (item) {
          delivered++;
          try {
            yield item.frame;
          } finally {
            item.done();
          }
          continue;
        }
        if (!this.live) {
          failure = new BenchtopError(
            'LINK_LOST',
            `${this.id}: acquisition stopped before the frames arrived`,
            {
              instrument: this.id,
            },
          );
          break;
        }
        // In free run a frame is due within a period; waiting far longer means the camera is not sending.
        if (this.config.trigger === 'off') {
          noFrame = this.clock.setTimeout(
            () => {
              failure = new BenchtopError(
                'INSTRUMENT_TIMEOUT',
                `${this.id}: no frame in ${SNAP_GRACE_MS} ms`,
                {
                  instrument: this.id,
                },
              );
              stopWaiting();
            },
            1000 / frameRate + SNAP_GRACE_MS,
          );
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        noFrame?.cancel();
        noFrame = null;
      }
      if (failure) throw failure;
    } finally {
      off();
      timer?.cancel();
      noFrame?.cancel();
      request.signal.removeEventListener('abort', stopWaiting);
      this.refusalWaiters.delete(refused);
      for (const item of queue.splice(0)) item.done();
      if (startedHere) await this.stopLive().catch(() => undefined);
    }
  }
}
