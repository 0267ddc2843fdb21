import type { Clock, TimerHandle } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import { type CortexOptions, cortexSample } from '../../sim/cortex-model.ts';
import type { VirtualLab } from '../../sim/virtual-lab.ts';
import type {
  AcquisitionEvents,
  AcquisitionRequest,
  AcquisitionStatus,
  CameraBackend,
  CameraInfo,
  ConfiguredReadout,
} from './camera-backend.ts';
import { findGain, findSpeed, primeBsiExpress, type SensorModel } from './camera-model.ts';
import {
  type CameraSettings,
  type FrameTiming,
  firstFrameTriggerModes,
  frameShape,
  frameTiming,
} from './camera-settings.ts';
import { FrameRenderer, type RenderedFrame } from './frame-renderer.ts';
import { FrameRing } from './frame-ring.ts';
import type { RenderSetup } from './test-pattern.ts';

export interface SimulatedCameraOptions {
  cameraName: string;
  clock: Clock;
  /** The scene: the pattern follows stage axes 2-3 and the laser power reaching the camera. */
  lab: VirtualLab;
  temperatureSetpointC: number;
  /** Noise seed (repeatable frames). */
  seed: number;
  model?: SensorModel;
  /** Set: the sensor images a cortex that responds to the lab's stimulus monitor. */
  cortex?: CortexOptions;
}

/** Sensor temperature when the camera is switched on, °C. */
const AMBIENT_C = 22;
/** Time constant of the cooler approaching its setpoint, s. */
const COOLING_TIME_CONSTANT_S = 30;
/** Photoelectrons per second at the spot's peak pixel per watt of beam (optics and attenuation). */
const ELECTRONS_PER_WATT_SECOND = 1.5e6;

interface Acquisition {
  id: number;
  settings: CameraSettings;
  timing: FrameTiming;
  setup: RenderSetup;
  ring: FrameRing;
  events: AcquisitionEvents;
  /** Exposures still to come (Infinity for continuous). */
  remaining: number;
  nextNumber: number;
  exposed: number;
  /** Free-running: monotonic ms at which the next frame's readout ends; NaN until armed. */
  nextDue: number;
  /** Edge-triggered: readout ends of triggered frames, oldest first. */
  triggered: number[];
  /** Edge-triggered: earliest monotonic ms a new trigger is accepted. */
  acceptTriggerAt: number;
  timer: TimerHandle | null;
  /** Readout-end timestamps (epoch ms) of frames being rendered. */
  timestamps: Map<number, number>;
}

/**
 * A Prime BSI Express made of the virtual lab: frames end on the Clock at the rate the
 * settings allow, are rendered by a worker thread and wait in a CIRC_NO_OVERWRITE ring until the
 * driver releases them. A frame rendered late counts against the ring like one being read out,
 * so a simulator that cannot keep up shows it as counted overruns, never as silent slowness.
 * The render worker (a V8 isolate of its own, ~20 MiB) starts with the first acquisition, not
 * at open: a camera that only sits connected costs no thread. Its first requests wait in the
 * worker's port while it starts (~0.2 s), so the first frames of the first acquisition come late.
 */
export class SimulatedCamera implements CameraBackend {
  private readonly options: SimulatedCameraOptions;
  private readonly model: SensorModel;
  private readonly clock: Clock;
  /** Set between open and close; `lost` reports a render worker that died. */
  private lost: ((error: BenchtopError) => void) | null = null;
  /** The render worker, started by the first acquisition and kept until close. */
  private renderer: FrameRenderer | null = null;
  private acquisition: Acquisition | null = null;
  private lastStatus: AcquisitionStatus = { acquiring: false, framesDropped: 0, framesExposed: 0 };
  private acquisitions = 0;
  private setpointC: number;
  private temperatureFromC = AMBIENT_C;
  private setpointChangedAt: number;
  /** Wall-clock ms the camera was made: the cortex's slow drift runs from here. */
  private readonly madeAt: number;

  constructor(options: SimulatedCameraOptions) {
    this.options = options;
    this.model = options.model ?? primeBsiExpress;
    this.clock = options.clock;
    this.setpointC = options.temperatureSetpointC;
    this.setpointChangedAt = options.clock.monotonic();
    this.madeAt = options.clock.now();
  }

  async open(lost: (error: BenchtopError) => void): Promise<CameraInfo> {
    this.lost = lost;
    return {
      identity: {
        model: `${this.model.product} (simulated)`,
        serial: `SIM-${this.options.cameraName}`,
        firmware: 'simulated',
        raw: `${this.options.cameraName}: ${this.model.chip} ${this.model.widthPx}x${this.model.heightPx}`,
      },
      model: this.model,
    };
  }

  async close(): Promise<void> {
    this.halt();
    this.lost = null;
    const renderer = this.renderer;
    this.renderer = null;
    await renderer?.close();
  }

  private startRenderer(): FrameRenderer {
    const renderer = FrameRenderer.spawn(this.options.seed, {
      rendered: (frame) => this.rendered(frame),
      failed: (error) => {
        if (this.renderer !== renderer) return;
        this.halt();
        this.lost?.(error);
      },
    });
    this.renderer = renderer;
    return renderer;
  }

  async configure(settings: CameraSettings): Promise<ConfiguredReadout> {
    const speed = findSpeed(this.model, settings.readoutPort, settings.speedIndex);
    if (!speed) {
      throw new BenchtopError('INSTRUMENT_ERROR', `simulated camera: no speed ${settings.speedIndex}`, {
        instrumentCode: 'PL_ERR_PARAM_OUT_OF_RANGE',
      });
    }
    return { bitDepth: speed.bitDepth, readoutTimeMs: frameTiming(this.model, settings).readoutMs };
  }

  async temperatureC(): Promise<number> {
    const elapsedS = (this.clock.monotonic() - this.setpointChangedAt) / 1000;
    const t =
      this.setpointC +
      (this.temperatureFromC - this.setpointC) * Math.exp(-elapsedS / COOLING_TIME_CONSTANT_S);
    // PARAM_TEMP reports hundredths of a degree.
    return Math.round(t * 100) / 100;
  }

  async setTemperatureSetpoint(celsius: number): Promise<void> {
    this.temperatureFromC = await this.temperatureC();
    this.setpointChangedAt = this.clock.monotonic();
    this.setpointC = celsius;
  }

  async start(request: AcquisitionRequest, events: AcquisitionEvents): Promise<void> {
    if (!this.lost) throw new BenchtopError('LINK_LOST', 'simulated camera: not open');
    if (this.acquisition) {
      throw new BenchtopError('INSTRUMENT_ERROR', 'simulated camera: an acquisition is already running', {
        instrumentCode: 'PL_ERR_ACQUISITION_ACTIVE',
      });
    }
    const { settings } = request;
    const gain = findGain(this.model, settings.readoutPort, settings.speedIndex, settings.gainIndex);
    const speed = findSpeed(this.model, settings.readoutPort, settings.speedIndex);
    if (!gain || !speed) {
      throw new BenchtopError('INSTRUMENT_ERROR', 'simulated camera: no such port/speed/gain', {
        instrumentCode: 'PL_ERR_PARAM_OUT_OF_RANGE',
      });
    }
    const renderer = this.renderer ?? this.startRenderer();
    const acquisition: Acquisition = {
      id: ++this.acquisitions,
      settings,
      timing: frameTiming(this.model, settings),
      setup: {
        roiX: settings.roi.x,
        roiY: settings.roi.y,
        ...frameShape(settings),
        binning: settings.binning,
        bitDepth: speed.bitDepth,
        exposureMs: settings.exposureMs,
        biasAdu: this.model.biasAdu,
        electronsPerAdu: gain.electronsPerAdu,
        readNoiseE: gain.readNoiseE,
        electronsPerWattSecond: ELECTRONS_PER_WATT_SECOND,
        ...(this.options.cortex
          ? {
              cortex: {
                ...this.options.cortex,
                sensorWidth: this.model.widthPx,
                sensorHeight: this.model.heightPx,
              },
            }
          : {}),
      },
      ring: new FrameRing(request.bufferFrames),
      events,
      remaining: request.frames === 'continuous' ? Number.POSITIVE_INFINITY : request.frames,
      nextNumber: 1,
      exposed: 0,
      nextDue: Number.NaN,
      triggered: [],
      acceptTriggerAt: Number.NEGATIVE_INFINITY,
      timer: null,
      timestamps: new Map(),
    };
    this.acquisition = acquisition;
    renderer.setup(acquisition.id, acquisition.setup, 1000 / acquisition.timing.periodMs);
    if (settings.triggerMode === 'timed') {
      acquisition.nextDue = this.clock.monotonic() + acquisition.timing.firstFrameMs;
      this.schedule(acquisition);
    }
  }

  async trigger(): Promise<boolean> {
    const a = this.acquisition;
    if (!a || a.settings.triggerMode === 'timed' || a.remaining <= a.triggered.length) return false;
    const now = this.clock.monotonic();
    if (firstFrameTriggerModes.includes(a.settings.triggerMode)) {
      if (!Number.isNaN(a.nextDue)) return false;
      a.nextDue = now + a.timing.firstFrameMs;
    } else {
      // Edge modes: one frame per trigger, accepted once the previous exposure has ended.
      if (now < a.acceptTriggerAt) return false;
      a.triggered.push(now + a.timing.firstFrameMs);
      a.acceptTriggerAt = now + a.timing.periodMs;
    }
    this.schedule(a);
    return true;
  }

  oldestFrame(): Frame | undefined {
    return this.acquisition?.ring.oldest();
  }

  release(frame: Frame): void {
    const a = this.acquisition;
    if (!a?.ring.release(frame)) return;
    if (a.remaining === 0 && a.ring.held === 0) a.events.finished();
  }

  async stop(): Promise<void> {
    this.halt();
  }

  status(): AcquisitionStatus {
    const a = this.acquisition;
    if (!a) return this.lastStatus;
    return {
      acquiring: a.remaining > 0 || a.ring.held > 0,
      framesDropped: a.ring.dropped,
      framesExposed: a.exposed,
    };
  }

  private halt(): void {
    const a = this.acquisition;
    if (!a) return;
    a.timer?.cancel();
    this.lastStatus = { ...this.status(), acquiring: false };
    this.acquisition = null;
    this.renderer?.cancel();
  }

  /** Arms the timer for the earliest pending readout end. */
  private schedule(a: Acquisition): void {
    a.timer?.cancel();
    a.timer = null;
    const due = a.triggered.length > 0 ? a.triggered[0]! : a.nextDue;
    if (a.remaining <= 0 || Number.isNaN(due)) return;
    a.timer = this.clock.setTimeout(() => this.readoutEnded(a), Math.max(0, due - this.clock.monotonic()));
  }

  /**
   * Every frame whose readout has ended by now, in order. A late timer (a busy event loop)
   * catches up with the frames the sensor produced meanwhile, as the hardware would.
   */
  private readoutEnded(a: Acquisition): void {
    if (this.acquisition !== a) return;
    a.timer = null;
    const now = this.clock.monotonic();
    const droppedBefore = a.ring.dropped;
    while (a.remaining > 0 && a.triggered.length > 0 && a.triggered[0]! <= now) {
      this.exposed(a, a.triggered.shift()!);
    }
    while (a.remaining > 0 && a.triggered.length === 0 && a.nextDue <= now) {
      this.exposed(a, a.nextDue);
      a.nextDue += a.timing.periodMs;
    }
    const lost = a.ring.dropped - droppedBefore;
    if (lost > 0) {
      // Slots still rendering mean the simulated sensor itself is behind, not a consumer.
      const filling = a.ring.filling;
      const cause =
        filling * 2 >= a.ring.capacity
          ? `the simulator's frame renderer is behind: ${filling} of ${a.ring.capacity} buffer slots still rendering; ${(1000 / a.timing.periodMs).toFixed(1)} fps asked of ${this.renderer?.threads ?? 1} render thread(s)`
          : undefined;
      a.events.overrun(lost, a.ring.dropped, cause);
    }
    this.schedule(a);
  }

  private exposed(a: Acquisition, readoutEnd: number): void {
    const frameNumber = a.nextNumber++;
    a.exposed++;
    a.remaining--;
    if (!a.ring.claim(frameNumber)) return;
    const timestamp = this.clock.now() - (this.clock.monotonic() - readoutEnd);
    a.timestamps.set(frameNumber, timestamp);
    const scene = this.options.lab.cameraScene();
    const cortex = this.options.cortex;
    this.renderer?.render(a.id, frameNumber, {
      shiftXPx: scene.shiftXPx,
      shiftYPx: scene.shiftYPx,
      intensityW: scene.intensity,
      // The cortex saw the stimulus during the exposure: sample it at the exposure's middle.
      ...(cortex
        ? {
            cortex: cortexSample(
              cortex,
              this.options.lab.visualStimulus,
              timestamp - a.timing.readoutMs - a.settings.exposureMs / 2,
              this.madeAt,
            ),
          }
        : {}),
    });
  }

  private rendered(frame: RenderedFrame): void {
    const a = this.acquisition;
    if (!a || frame.acquisition !== a.id) return;
    const timestamp = a.timestamps.get(frame.frameNumber);
    if (timestamp === undefined) return;
    a.timestamps.delete(frame.frameNumber);
    a.ring.fill({
      pixels: frame.pixels,
      width: a.setup.width,
      height: a.setup.height,
      frameNumber: frame.frameNumber,
      timestamp,
      bitDepth: a.setup.bitDepth,
      exposureMs: a.setup.exposureMs,
    });
    a.events.frameAvailable();
  }
}
