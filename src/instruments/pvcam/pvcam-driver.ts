import { Type } from '@sinclair/typebox';
import type { CapabilityDescription } from '../../core/capabilities.ts';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type {
  CallContext,
  DriverContext,
  DriverIdentity,
  InstrumentDriver,
  SignalDef,
  SignalValue,
} from '../../core/device.ts';
import { action, type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { Logger } from '../../core/logger.ts';
import type { DriverDeps } from '../kind.ts';
import type { CameraBackend, ConfiguredReadout } from './camera-backend.ts';
import { type CameraBackendFactory, cameraBackendFactory } from './camera-backend-factory.ts';
import { primeBsiExpress, type SensorModel, tableLimits } from './camera-model.ts';
import {
  type CameraSettings,
  ClearModes,
  checkSettings,
  frameTiming,
  softwareTriggerModes,
  TriggerModes,
} from './camera-settings.ts';
import type { PvcamConfig } from './config.ts';
import { FrameDispatcher, type FrameListener } from './frame-dispatcher.ts';

/** Time allowed beyond exposure + readout for a frame to arrive before the camera counts as lost. */
const FRAME_GRACE_MS = 5000;
/** `frames_dropped` is pushed at most this often while overruns continue (polling covers the rest). */
const DROPS_PUBLISH_INTERVAL_MS = 1000;

/** A frame without its pixels: what `snap` returns. */
export interface FrameMetadata {
  frameNumber: number;
  timestamp: number;
  width: number;
  height: number;
  bitDepth: number;
  exposureMs: number;
}

/** What the run engine asks of a camera (the engine's FrameSource seam). */
export interface CameraFrameRequest {
  /** Stop after this many frames… */
  count?: number;
  /** …or after this long, in ms on the driver's clock. */
  durationMs?: number;
  /** Sets `exposure_ms` first (it stays set). */
  exposureMs?: number;
  /** Aborting ends the acquisition. */
  signal: AbortSignal;
}

type Mode = 'idle' | 'snap' | 'live';

const metadataOf = (f: Frame): FrameMetadata => ({
  frameNumber: f.frameNumber,
  timestamp: f.timestamp,
  width: f.width,
  height: f.height,
  bitDepth: f.bitDepth,
  exposureMs: f.exposureMs,
});

const noArgs = Type.Object({}, { additionalProperties: false });

/**
 * A Photometrics PVCAM camera (Prime BSI) behind the CameraBackend seam. Settings are checked
 * against the sensor and readout table before a backend sees them; frames are delivered in
 * order, outside the actor's mailbox, to `onFrame` listeners, the `frameSource` iterator and the
 * bus (`camera.frame`); overruns of the camera's buffer are counted and reported.
 */
export class PvcamDriver implements InstrumentDriver {
  readonly type = 'PVCAMInstrument';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  readonly capabilities: readonly CapabilityDescription[] = [
    {
      kind: 'camera',
      signals: {
        exposure: 'exposure_ms',
        roi_x: 'roi.x',
        roi_y: 'roi.y',
        roi_width: 'roi.width',
        roi_height: 'roi.height',
        binning: 'binning',
        frame_rate: 'frame_rate',
        frames_dropped: 'frames_dropped',
        acquiring: 'acquiring',
        trigger_mode: 'trigger_mode',
      },
      actions: { start_live: 'start_live', stop_live: 'stop', snap: 'snap', set_roi: 'set_roi' },
    },
  ];
  /** The run engine's seam: frames in order, each holding its buffer slot until the next is asked for. */
  readonly frameSource: { acquire(request: CameraFrameRequest): AsyncIterable<Frame> };
  private readonly id: string;
  private readonly config: PvcamConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly createBackend: CameraBackendFactory;
  private readonly dispatcher: FrameDispatcher;
  private model: SensorModel = primeBsiExpress;
  private settings: CameraSettings;
  private setpointC: number;
  private backend: CameraBackend | null = null;
  private ctx: DriverContext | null = null;
  private readout: ConfiguredReadout | null = null;
  private mode: Mode = 'idle';
  private liveFrames: number | 'continuous' = 'continuous';
  /** Increments per acquisition, so a late reaction to an old one cannot stop a new one. */
  private acquisitionSerial = 0;
  private pumping = false;
  private overrunReported = false;
  private dropsPublishedAt = Number.NEGATIVE_INFINITY;
  /** Told when the acquisition ends: undefined for a stop, the error if the camera was lost. */
  private readonly endListeners = new Set<(error?: BenchtopError) => void>();
  private commands: Promise<unknown> = Promise.resolve();

  constructor(id: string, config: PvcamConfig, deps: DriverDeps, createBackend?: CameraBackendFactory) {
    this.id = id;
    this.config = config;
    this.clock = deps.clock;
    this.log = deps.log;
    this.createBackend = createBackend ?? cameraBackendFactory(id, this.config, deps);
    this.dispatcher = new FrameDispatcher({
      instrument: id,
      log: deps.log,
      ...(deps.bus ? { bus: deps.bus } : {}),
    });
    const c = this.config;
    this.settings = {
      exposureMs: c.exposure_ms,
      roi: { x: 0, y: 0, width: this.model.widthPx, height: this.model.heightPx },
      binning: 1,
      triggerMode: 'timed',
      clearMode: 'pre_sequence',
      readoutPort: c.readout_port,
      speedIndex: c.speed_index,
      gainIndex: c.gain_index,
    };
    this.setpointC = c.temperature_setpoint_c;
    this.signals = this.buildSignals();
    this.refreshLimits();
    this.actions = this.buildActions();
    this.frameSource = { acquire: (request) => this.acquireFrames(request) };
  }

  /** Subscribes to every frame; a returned promise holds the frame's buffer slot until it settles. */
  onFrame(listener: FrameListener): () => void {
    return this.dispatcher.onFrame(listener);
  }

  /** The most recent frame delivered (shared with every consumer: read-only). */
  get lastFrame(): Frame | undefined {
    return this.dispatcher.lastFrame;
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const backend = this.createBackend();
    this.ctx = ctx;
    const info = await backend.open((error) => this.cameraLost(backend, error));
    try {
      const previous = this.model;
      this.model = info.model;
      // A region left at the whole sensor follows the sensor the camera turns out to have.
      const { roi } = this.settings;
      if (roi.x === 0 && roi.y === 0 && roi.width === previous.widthPx && roi.height === previous.heightPx) {
        this.settings = {
          ...this.settings,
          roi: { x: 0, y: 0, width: info.model.widthPx, height: info.model.heightPx },
        };
      }
      this.refreshLimits();
      try {
        checkSettings(this.id, this.model, this.settings);
      } catch (error) {
        throw new BenchtopError(
          'CONFIG_INVALID',
          `${this.id}: configured settings do not suit ${info.identity.model}: ${(error as Error).message}`,
          { instrument: this.id },
          { cause: error },
        );
      }
      this.readout = await backend.configure(this.settings);
      await backend.setTemperatureSetpoint(this.setpointC);
    } catch (error) {
      await backend.close();
      throw error;
    }
    this.backend = backend;
    this.mode = 'idle';
    return info.identity;
  }

  async disconnect(): Promise<void> {
    const backend = this.backend;
    this.backend = null;
    this.endAcquisition(new BenchtopError('INSTRUMENT_UNAVAILABLE', `${this.id}: camera disconnected`));
    if (!backend) return;
    try {
      await backend.close();
    } catch (error) {
      this.log.warn({ err: error }, 'closing the camera failed');
    }
  }

  private buildSignals(): Record<string, SignalDef> {
    const limits = tableLimits(this.model);
    const setting = <T extends SignalValue>(
      def: Omit<SignalDef<T>, 'read' | 'write'>,
      get: (s: CameraSettings) => T,
      set: (s: CameraSettings, value: T) => CameraSettings,
    ): SignalDef =>
      signal<T>({
        ...def,
        read: async () => get(this.settings),
        write: async (value) => {
          await this.exclusive(() => this.applySettings(set(this.settings, value)));
          return undefined;
        },
      });
    const roi = (key: 'x' | 'y' | 'width' | 'height', description: string) =>
      setting<number>(
        { dtype: 'integer', unit: 'px', description },
        (s) => s.roi[key],
        (s, v) => ({ ...s, roi: { ...s.roi, [key]: v } }),
      );
    return {
      exposure_ms: setting<number>(
        { dtype: 'number', unit: 'ms', precision: 3, description: 'Exposure time per frame' },
        (s) => s.exposureMs,
        (s, v) => ({ ...s, exposureMs: v }),
      ),
      'roi.x': roi('x', 'ROI left edge on the sensor (unbinned pixels)'),
      'roi.y': roi('y', 'ROI top edge on the sensor (unbinned pixels)'),
      'roi.width': roi('width', 'ROI width (unbinned pixels, a multiple of the binning)'),
      'roi.height': roi(
        'height',
        'ROI height (unbinned pixels, a multiple of the binning); readout time scales with it',
      ),
      binning: setting<number>(
        {
          dtype: 'integer',
          description: `Symmetric binning (${this.model.binnings.join(', ')}); frames are ROI / binning`,
        },
        (s) => s.binning,
        (s, v) => ({ ...s, binning: v }),
      ),
      trigger_mode: setting<string>(
        {
          dtype: 'enum',
          choices: TriggerModes,
          description:
            'timed: internal timer; trigger_first/edge_rising: trigger-in line (the simulator takes the trigger action); software_first/software_edge: the trigger action',
        },
        (s) => s.triggerMode,
        (s, v) => ({ ...s, triggerMode: v as CameraSettings['triggerMode'] }),
      ),
      clear_mode: setting<string>(
        {
          dtype: 'enum',
          choices: ClearModes,
          description: 'When the sensor is cleared; pre_exposure modes add a clear to every frame',
        },
        (s) => s.clearMode,
        (s, v) => ({ ...s, clearMode: v as CameraSettings['clearMode'] }),
      ),
      readout_port: setting<number>(
        { dtype: 'integer', limits: limits.port, description: 'Readout port (selects the speed table)' },
        (s) => s.readoutPort,
        (s, v) => this.followTable({ ...s, readoutPort: v }, 'port'),
      ),
      speed_index: setting<number>(
        {
          dtype: 'integer',
          limits: limits.speed,
          description: `Readout speed on the port: ${this.describeSpeeds()}; sets bit depth and frame rate`,
        },
        (s) => s.speedIndex,
        (s, v) => this.followTable({ ...s, speedIndex: v }, 'speed'),
      ),
      gain_index: setting<number>(
        {
          dtype: 'integer',
          limits: limits.gain,
          description: 'Gain state (1-based) at the current speed; see speed_index for the choices',
        },
        (s) => s.gainIndex,
        (s, v) => ({ ...s, gainIndex: v }),
      ),
      bit_depth: signal<number>({
        dtype: 'integer',
        unit: 'bit',
        description: 'Bit depth of the current readout speed',
        read: async () => this.requireReadout().bitDepth,
      }),
      readout_time_ms: signal<number>({
        dtype: 'number',
        unit: 'ms',
        precision: 3,
        description: 'Time to read out the ROI (PARAM_READOUT_TIME)',
        read: async () => this.requireReadout().readoutTimeMs,
      }),
      frame_rate_max: signal<number>({
        dtype: 'number',
        unit: 'fps',
        precision: 2,
        description: 'Rate the settings allow: min(1/exposure, readout-limited rate)',
        read: async () => frameTiming(this.model, this.settings).frameRateFps,
      }),
      temperature: signal<number>({
        dtype: 'number',
        unit: '°C',
        precision: 2,
        monitored: true,
        description: 'Sensor temperature (approaches the setpoint after power-on)',
        read: async () => this.requireBackend().temperatureC(),
      }),
      temperature_setpoint: signal<number>({
        dtype: 'number',
        unit: '°C',
        limits: { min: this.model.minSetpointC, max: this.model.maxSetpointC },
        description: 'Sensor cooling setpoint',
        read: async () => this.setpointC,
        write: async (value) => {
          await this.exclusive(async () => {
            await this.requireBackend().setTemperatureSetpoint(value);
            this.setpointC = value;
          });
          return undefined;
        },
      }),
      frame_rate: signal<number>({
        dtype: 'number',
        unit: 'fps',
        precision: 2,
        monitored: true,
        description: 'Frames per second actually acquired while live (over the last 16 frames; 0 when idle)',
        read: async () => (this.mode === 'live' ? this.dispatcher.achievedRate() : 0),
      }),
      frames_acquired: signal<number>({
        dtype: 'integer',
        monitored: true,
        description: 'Frames delivered since the acquisition started',
        read: async () => this.dispatcher.framesDelivered,
      }),
      frames_dropped: signal<number>({
        dtype: 'integer',
        monitored: true,
        description: 'Frames lost to buffer overrun since the acquisition started (consumers too slow)',
        read: async () => this.backend?.status().framesDropped ?? 0,
      }),
      acquiring: signal<boolean>({
        dtype: 'boolean',
        monitored: true,
        description: 'A snap or live acquisition is running',
        read: async () => this.mode !== 'idle',
      }),
    };
  }

  private buildActions(): DriverActions {
    return {
      snap: action({
        description:
          'Acquire one frame and return its metadata (the frame goes to frame listeners and camera.frame). While live: the next live frame.',
        args: noArgs,
        run: (_args, ctx) => this.exclusive(() => this.snap(ctx)),
      }),
      start_live: action({
        description:
          'Start acquiring continuously at the rate the settings allow (or a sequence of `frames`); frames go to listeners and camera.frame',
        args: Type.Object(
          {
            frames: Type.Optional(
              Type.Integer({ minimum: 1, description: 'Stop by itself after this many exposures' }),
            ),
          },
          { additionalProperties: false },
        ),
        run: (args) =>
          this.exclusive(async () => {
            if (this.mode !== 'live') await this.startAcquisition('live', args.frames ?? 'continuous');
            return {
              acquiring: true,
              frameRateMax: frameTiming(this.model, this.settings).frameRateFps,
              bufferFrames: this.config.buffer_frames,
            };
          }),
      }),
      stop: action({
        description: 'Stop acquiring; returns the frames acquired and dropped',
        args: noArgs,
        run: () => this.exclusive(() => this.stopAcquisition()),
      }),
      trigger: action({
        description:
          'Software trigger (pl_exp_trigger) in software_* modes; in the simulator also a pulse on the trigger-in line',
        args: noArgs,
        run: () => this.exclusive(() => this.trigger()),
      }),
      set_roi: action({
        description: 'Set the whole ROI at once (unbinned pixels), so no intermediate region has to fit',
        args: Type.Object(
          {
            x: Type.Integer({ minimum: 0, maximum: this.model.widthPx - 1 }),
            y: Type.Integer({ minimum: 0, maximum: this.model.heightPx - 1 }),
            width: Type.Integer({ minimum: 1, maximum: this.model.widthPx }),
            height: Type.Integer({ minimum: 1, maximum: this.model.heightPx }),
          },
          { additionalProperties: false },
        ),
        run: (roi) =>
          this.exclusive(async () => {
            await this.applySettings({ ...this.settings, roi: { ...roi } });
            return { ...this.settings.roi };
          }),
      }),
    };
  }

  /** Signal limits from the connected camera's sensor and readout table. */
  private refreshLimits(): void {
    const m = this.model;
    const table = tableLimits(m);
    const set = (name: string, min: number, max: number) => {
      const def = this.signals[name];
      if (def) def.limits = { min, max };
    };
    set('exposure_ms', m.minExposureMs, m.maxExposureMs);
    set('roi.x', 0, m.widthPx - 1);
    set('roi.y', 0, m.heightPx - 1);
    set('roi.width', 1, m.widthPx);
    set('roi.height', 1, m.heightPx);
    set('binning', Math.min(...m.binnings), Math.max(...m.binnings));
    set('readout_port', table.port.min, table.port.max);
    set('speed_index', table.speed.min, table.speed.max);
    set('gain_index', table.gain.min, table.gain.max);
    set('temperature_setpoint', m.minSetpointC, m.maxSetpointC);
  }

  private describeSpeeds(): string {
    return this.model.ports
      .flatMap((p) =>
        p.speeds.map(
          (s) =>
            `port ${p.index} speed ${s.index} "${s.name}" ${s.bitDepth}-bit, gains ${s.gains.map((g) => `${g.index} ${g.name}`).join('/')}`,
        ),
      )
      .join('; ');
  }

  /**
   * After a port or speed change, keeps the speed and gain if the new table has them, else takes
   * the first it offers (as PVCAM does). A port or speed that does not exist is left as written,
   * for checkSettings to reject.
   */
  private followTable(s: CameraSettings, changed: 'port' | 'speed'): CameraSettings {
    const port = this.model.ports.find((p) => p.index === s.readoutPort);
    const speed =
      port?.speeds.find((sp) => sp.index === s.speedIndex) ??
      (changed === 'port' ? port?.speeds[0] : undefined);
    if (!speed) return s;
    const gain = speed.gains.find((g) => g.index === s.gainIndex) ?? speed.gains[0]!;
    return { ...s, speedIndex: speed.index, gainIndex: gain.index };
  }

  /** Checks the settings, then applies them; a live acquisition restarts with them (frame numbers restart at 1). */
  private async applySettings(next: CameraSettings): Promise<void> {
    checkSettings(this.id, this.model, next);
    const backend = this.requireBackend();
    const restart = this.mode === 'live';
    if (restart) await this.stopAcquisition();
    this.readout = await backend.configure(next);
    this.settings = next;
    if (restart) await this.startAcquisition('live', this.liveFrames);
  }

  private async startAcquisition(mode: 'snap' | 'live', frames: number | 'continuous'): Promise<void> {
    const backend = this.requireBackend();
    const serial = ++this.acquisitionSerial;
    this.dispatcher.reset();
    this.overrunReported = false;
    this.dropsPublishedAt = Number.NEGATIVE_INFINITY;
    await backend.start(
      { settings: this.settings, frames, bufferFrames: this.config.buffer_frames },
      {
        frameAvailable: () => void this.pump(backend),
        overrun: (lost, total, cause) => this.overrun(lost, total, cause),
        finished: () => {
          if (mode === 'live') {
            void this.exclusive(async () => {
              if (this.acquisitionSerial === serial && this.mode === 'live') await this.stopAcquisition();
            });
          }
        },
      },
    );
    this.mode = mode;
    if (mode === 'live') this.liveFrames = frames;
    this.ctx?.publish('acquiring', true);
    if (mode === 'live') {
      const timing = frameTiming(this.model, this.settings);
      this.log.info(
        { frames, frameRateMax: timing.frameRateFps, bufferFrames: this.config.buffer_frames },
        `live acquisition started (${timing.frameRateFps.toFixed(1)} fps allowed)`,
      );
    }
  }

  private async stopAcquisition(): Promise<{ framesAcquired: number; framesDropped: number }> {
    const backend = this.backend;
    const was = this.mode;
    this.mode = 'idle';
    await backend?.stop();
    const summary = {
      framesAcquired: this.dispatcher.framesDelivered,
      framesDropped: backend?.status().framesDropped ?? 0,
    };
    this.endAcquisition();
    if (was !== 'idle') {
      this.ctx?.publish('acquiring', false);
      this.ctx?.publish('frames_dropped', summary.framesDropped);
    }
    if (was === 'live') {
      if (summary.framesDropped > 0) {
        this.log.warn(summary, `live acquisition stopped: ${summary.framesDropped} frame(s) lost to overrun`);
      } else {
        this.log.info(summary, 'live acquisition stopped');
      }
    }
    return summary;
  }

  private endAcquisition(error?: BenchtopError): void {
    for (const listener of [...this.endListeners]) listener(error);
  }

  /** The camera's link failed: whoever waits for frames hears why, then the actor restarts. */
  private cameraLost(backend: CameraBackend, error: BenchtopError): void {
    if (this.backend !== backend && this.backend !== null) return;
    this.mode = 'idle';
    this.endAcquisition(error);
    this.ctx?.linkLost(error);
  }

  private async snap(ctx: CallContext): Promise<FrameMetadata> {
    const mode = this.settings.triggerMode;
    const selfTriggered = mode === 'timed' || softwareTriggerModes.includes(mode);
    if (!selfTriggered || (this.mode === 'live' && mode !== 'timed')) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `${this.id}: snap cannot wait for a trigger in trigger_mode ${mode}${this.mode === 'live' ? ' while live' : ''}; use trigger_mode timed (or software_* when not live), or start_live and the trigger action`,
        { instrument: this.id, triggerMode: mode, acquiring: this.mode },
      );
    }
    if (this.mode === 'live') return metadataOf(await this.nextFrame(ctx));
    const next = this.nextFrame(ctx);
    // If starting fails, `next` is abandoned: keep its rejection from going unhandled.
    next.catch(() => {});
    try {
      await this.startAcquisition('snap', 1);
      if (mode !== 'timed') await this.requireBackend().trigger();
      return metadataOf(await next);
    } finally {
      await this.stopAcquisition();
    }
  }

  private async trigger(): Promise<{ accepted: boolean }> {
    if (this.mode === 'idle' || this.settings.triggerMode === 'timed') {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `${this.id}: nothing to trigger (${this.mode === 'idle' ? 'not acquiring' : 'trigger_mode is timed'}); set a trigger mode and start_live first`,
        { instrument: this.id, triggerMode: this.settings.triggerMode, acquiring: this.mode !== 'idle' },
      );
    }
    return { accepted: await this.requireBackend().trigger() };
  }

  /** The next frame delivered, or an error if none comes in time or the acquisition ends first. */
  private nextFrame(ctx: CallContext): Promise<Frame> {
    const timing = frameTiming(this.model, this.settings);
    const timeoutMs = timing.firstFrameMs + timing.periodMs + FRAME_GRACE_MS;
    return new Promise<Frame>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const done = () => {
        off();
        timer?.cancel();
        this.endListeners.delete(ended);
        ctx.signal.removeEventListener('abort', aborted);
        ctx.lifetime.removeEventListener('abort', aborted);
      };
      const off = this.dispatcher.onFrame((frame) => {
        done();
        resolve(frame);
      });
      const ended = (error?: BenchtopError) => {
        done();
        reject(
          error ??
            new BenchtopError(
              'VALIDATION_FAILED',
              `${this.id}: the acquisition stopped before a frame arrived`,
              {
                instrument: this.id,
              },
            ),
        );
      };
      const aborted = () => {
        done();
        reject(
          new BenchtopError('INSTRUMENT_UNAVAILABLE', `${this.id}: gave up waiting for a frame`, {
            instrument: this.id,
          }),
        );
      };
      this.endListeners.add(ended);
      ctx.signal.addEventListener('abort', aborted, { once: true });
      ctx.lifetime.addEventListener('abort', aborted, { once: true });
      timer = this.clock.setTimeout(() => {
        done();
        reject(
          new BenchtopError('INSTRUMENT_TIMEOUT', `${this.id}: no frame within ${Math.round(timeoutMs)} ms`, {
            instrument: this.id,
            timeoutMs,
          }),
        );
      }, timeoutMs);
    });
  }

  /** Hands complete frames on, oldest first; a frame's slot is released once its consumers are done. */
  private async pump(backend: CameraBackend): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let frame = backend.oldestFrame(); frame; frame = backend.oldestFrame()) {
        await this.dispatcher.deliver(frame);
        backend.release(frame);
        if (this.backend !== backend) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  private overrun(lost: number, total: number, cause?: string): void {
    if (!this.overrunReported) {
      this.overrunReported = true;
      this.log.warn(
        { lost, total, bufferFrames: this.config.buffer_frames },
        `frame buffer overrun: ${lost} frame(s) lost, ${cause ?? 'a frame consumer is not keeping up'}`,
      );
    }
    const now = this.clock.monotonic();
    if (now - this.dropsPublishedAt >= DROPS_PUBLISH_INTERVAL_MS) {
      this.dropsPublishedAt = now;
      this.ctx?.publish('frames_dropped', total);
    }
  }

  /** Frames for the run engine: pulls hold the previous frame's slot, so a slow run gets counted overruns. */
  private async *acquireFrames(request: CameraFrameRequest): AsyncGenerator<Frame> {
    const queue: { frame: Frame; done: () => void }[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: BenchtopError | undefined;
    const stopWaiting = (error?: BenchtopError) => {
      finished = true;
      failure ??= error;
      wake?.();
    };
    const off = this.dispatcher.onFrame(
      (frame) =>
        new Promise<void>((done) => {
          queue.push({ frame, done });
          wake?.();
        }),
    );
    const onAbort = () => stopWaiting();
    request.signal.addEventListener('abort', onAbort, { once: true });
    let timer: TimerHandle | null = null;
    let serial = -1;
    try {
      await this.exclusive(async () => {
        if (this.mode !== 'idle') await this.stopAcquisition();
        if (request.exposureMs !== undefined) {
          await this.applySettings({ ...this.settings, exposureMs: request.exposureMs });
        }
        await this.startAcquisition('live', 'continuous');
        serial = this.acquisitionSerial;
        this.endListeners.add(stopWaiting);
      });
      if (request.durationMs !== undefined)
        timer = this.clock.setTimeout(() => stopWaiting(), request.durationMs);
      let delivered = 0;
      while (
        !finished &&
        !request.signal.aborted &&
        (request.count === undefined || delivered < request.count)
      ) {
        const item = queue.shift();
        if (!item) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
          continue;
        }
        try {
          yield item.frame;
        } finally {
          item.done();
        }
        delivered++;
      }
      if (failure) throw failure;
    } finally {
      off();
      timer?.cancel();
      request.signal.removeEventListener('abort', onAbort);
      this.endListeners.delete(stopWaiting);
      for (const item of queue.splice(0)) item.done();
      await this.exclusive(async () => {
        if (this.acquisitionSerial === serial && this.mode === 'live') await this.stopAcquisition();
      });
    }
  }

  /** Runs state-changing camera commands one at a time (the actor's and the run engine's). */
  private exclusive<T>(command: () => Promise<T>): Promise<T> {
    const run = this.commands.then(command, command);
    this.commands = run.catch(() => {});
    return run;
  }

  private requireBackend(): CameraBackend {
    if (!this.backend) {
      throw new BenchtopError('INSTRUMENT_UNAVAILABLE', `${this.id}: camera not connected`, {
        instrument: this.id,
      });
    }
    return this.backend;
  }

  private requireReadout(): ConfiguredReadout {
    this.requireBackend();
    return this.readout!;
  }
}
