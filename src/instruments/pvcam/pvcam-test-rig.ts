import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopError } from '../../core/errors.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { Instrument } from '../../core/instrument.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { typedConfig } from '../kind.ts';
import type { AcquisitionEvents, AcquisitionRequest, CameraBackend, CameraInfo } from './camera-backend.ts';
import { PvcamConfig } from './config.ts';
import { PvcamDriver } from './pvcam-driver.ts';
import { SimulatedCamera } from './simulated-camera.ts';

/**
 * Test support: the camera driven the way Benchtop drives it (supervisor, actor, facade) on a
 * ManualClock, with a simulated backend that records every call, so a test can prove that a
 * rejected setting never reached the camera.
 */
export class RecordingBackend implements CameraBackend {
  readonly calls: string[] = [];
  private readonly inner: CameraBackend;
  private lost: ((error: BenchtopError) => void) | null = null;

  constructor(inner: CameraBackend) {
    this.inner = inner;
  }

  /** Simulates the camera dropping off its link (unplugged, powered off). */
  loseCamera(error: BenchtopError): void {
    this.lost?.(error);
  }

  open(lost: (error: BenchtopError) => void): Promise<CameraInfo> {
    this.calls.push('open');
    this.lost = lost;
    return this.inner.open(lost);
  }
  close() {
    this.calls.push('close');
    return this.inner.close();
  }
  configure(settings: Parameters<CameraBackend['configure']>[0]) {
    this.calls.push('configure');
    return this.inner.configure(settings);
  }
  temperatureC() {
    return this.inner.temperatureC();
  }
  setTemperatureSetpoint(celsius: number) {
    this.calls.push('setTemperatureSetpoint');
    return this.inner.setTemperatureSetpoint(celsius);
  }
  start(request: AcquisitionRequest, events: AcquisitionEvents) {
    this.calls.push('start');
    return this.inner.start(request, events);
  }
  trigger() {
    this.calls.push('trigger');
    return this.inner.trigger();
  }
  oldestFrame() {
    return this.inner.oldestFrame();
  }
  release(frame: Frame) {
    this.inner.release(frame);
  }
  stop() {
    this.calls.push('stop');
    return this.inner.stop();
  }
  status() {
    return this.inner.status();
  }
}

export interface CameraRig {
  clock: ManualClock;
  lab: VirtualLab;
  bus: EventBus<BenchtopEvents>;
  driver: PvcamDriver;
  instrument: Instrument;
  backends: RecordingBackend[];
  states: ActorStateChange[];
  readings: Reading[];
  /** Every backend call so far, over all connections. */
  backendCalls(): string[];
  close(): Promise<void>;
}

/**
 * A lab whose beam reaches the camera at full power: laser warm, emission on, shutter open,
 * knife edge (on axis 1) withdrawn 10 mm from the beam.
 */
export async function litLab(clock: ManualClock): Promise<VirtualLab> {
  const lab = new VirtualLab({ clock, seed: 5, beamWaistMm: 0.5, knifeEdgeMm: -10, warmupS: 0 });
  lab.laser.emission = true;
  lab.laser.setShutter(true);
  await clock.advance(1_000);
  return lab;
}

export async function startCameraRig(
  options: { config?: Record<string, unknown>; lab?: (clock: ManualClock) => Promise<VirtualLab> } = {},
): Promise<CameraRig> {
  const clock = new ManualClock();
  const lab = await (options.lab ?? litLab)(clock);
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  const readings: Reading[] = [];
  bus.on('actor.state', (c) => states.push(c));
  bus.on('instrument.reading', (r) => readings.push(r));
  const backends: RecordingBackend[] = [];
  const config = { camera_name: 'PrimeBSI', exposure_ms: 5, ...options.config };
  const driver = new PvcamDriver(
    'camera',
    typedConfig('PVCAMInstrument', PvcamConfig, 'camera', config),
    { clock, log: silentLogger(), lab, bus },
    () => {
      const backend = new RecordingBackend(
        new SimulatedCamera({ cameraName: 'PrimeBSI', clock, lab, temperatureSetpointC: -20, seed: 11 }),
      );
      backends.push(backend);
      return backend;
    },
  );
  // Timeouts run on the lab clock, which tests advance in large steps while a command waits.
  const { instrument, stop } = await spawnInstrument({
    id: 'camera',
    driver,
    bus,
    clock,
    spawnTimeoutMs: 60_000,
    askTimeoutMs: 60_000,
  });
  return {
    clock,
    lab,
    bus,
    driver,
    instrument,
    backends,
    states,
    readings,
    backendCalls: () => backends.flatMap((b) => b.calls),
    close: stop,
  };
}

/** Collects frames from `onFrame` and lets a test await the n-th one (no polling). */
export class FrameCollector {
  readonly frames: Frame[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  readonly unsubscribe: () => void;

  constructor(driver: PvcamDriver, hold?: (frame: Frame) => Promise<void> | undefined) {
    this.unsubscribe = driver.onFrame((frame) => {
      this.frames.push(frame);
      for (const w of this.waiters.filter((w) => this.frames.length >= w.count)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
      return hold?.(frame);
    });
  }

  /** Resolves once `count` frames have arrived in total. */
  waitFor(count: number): Promise<void> {
    if (this.frames.length >= count) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ count, resolve });
    });
  }

  numbers(): number[] {
    return this.frames.map((f) => f.frameNumber);
  }
}

/** A slow consumer: collects frames but sits on each one until `release()`, then keeps up. */
export function stalledConsumer(driver: PvcamDriver): { frames: FrameCollector; release(): void } {
  let holding = true;
  let releaseHeld: () => void = () => {};
  const frames = new FrameCollector(driver, () =>
    holding
      ? new Promise<void>((resolve) => {
          releaseHeld = resolve;
        })
      : undefined,
  );
  return {
    frames,
    release() {
      holding = false;
      releaseHeld();
    },
  };
}

/** Intensity-weighted centroid of the pixels above half the frame's peak (the spot), in frame pixels. */
export function spotCentroid(frame: Frame, biasAdu: number): { x: number; y: number } {
  const { pixels, width } = frame;
  let peak = 0;
  for (let i = 0; i < pixels.length; i++) if (pixels[i]! > peak) peak = pixels[i]!;
  const threshold = biasAdu + (peak - biasAdu) / 2;
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v <= threshold) continue;
    const w = v - biasAdu;
    sum += w;
    sx += w * (i % width);
    sy += w * Math.floor(i / width);
  }
  return { x: sx / sum, y: sy / sum };
}

/** Mean pixel value above the bias. */
export function meanSignal(frame: Frame, biasAdu: number): number {
  let sum = 0;
  for (let i = 0; i < frame.pixels.length; i++) sum += frame.pixels[i]!;
  return sum / frame.pixels.length - biasAdu;
}
