import type { Clock } from '../core/clock.ts';
import { AldChamber } from './ald-chamber.ts';
import { MonitorPatchTrace } from './monitor-patch-trace.ts';
import { knifeEdgeTransmission, maiTaiPowerW, siliconResponsivity } from './physics.ts';
import { ProductionLine, type ProductionLineOptions } from './production-line.ts';
import { SeededRandom } from './random.ts';
import { VisualStimulusTrace } from './visual-stimulus-trace.ts';

export interface VirtualLabOptions {
  clock: Clock;
  seed: number;
  /** 1/e² beam radius at the knife edge, mm. */
  beamWaistMm: number;
  /** Knife-edge position on stage axis 1, mm. */
  knifeEdgeMm: number;
  /** Laser warm-up time from power-on to 100 %, seconds. */
  warmupS: number;
  /**
   * A photodiode on the stimulus monitor's corner patch, wired to the DMM with the beam's: a
   * bright patch adds `volts`, seen `latencyMs` after the page reported presenting it (the
   * display's own latency, which the photodiode is there to measure). Absent: not fitted.
   */
  monitorPhotodiode?: { latencyMs: number; volts: number };
}

/** Time in seconds since `since` (monotonic ms). */
const secondsSince = (clock: Clock, since: number) => (clock.monotonic() - since) / 1000;

/**
 * The Mai Tai: warm-up from power-on, tuning at a finite rate, a shutter that takes time,
 * emission, and output power from the gain curve. State is evaluated lazily from the clock,
 * so nothing ticks in the background.
 */
export class LaserModel {
  readonly minNm = 690;
  readonly maxNm = 1040;
  /** Tuning rate, nm/s. */
  readonly tuningRate = 40;
  /** Shutter travel time, s. */
  readonly shutterDelayS = 0.8;
  private readonly clock: Clock;
  private readonly warmupS: number;
  private readonly poweredAt: number;
  private setpoint = 800;
  private tuneFrom = 800;
  private tuneStartedAt: number;
  private shutterTarget = false;
  private shutterChangedAt = Number.NEGATIVE_INFINITY;
  private shutterWas = false;
  emission = false;
  humidity = 3.2;

  constructor(clock: Clock, warmupS: number) {
    this.clock = clock;
    this.warmupS = warmupS;
    this.poweredAt = clock.monotonic();
    this.tuneStartedAt = clock.monotonic();
  }

  get wavelengthSetpoint(): number {
    return this.setpoint;
  }

  setWavelength(nm: number): void {
    this.tuneFrom = this.wavelengthActual();
    this.setpoint = Math.min(this.maxNm, Math.max(this.minNm, nm));
    this.tuneStartedAt = this.clock.monotonic();
  }

  wavelengthActual(): number {
    const travelled = this.tuningRate * secondsSince(this.clock, this.tuneStartedAt);
    const distance = this.setpoint - this.tuneFrom;
    if (Math.abs(distance) <= travelled) return this.setpoint;
    return this.tuneFrom + Math.sign(distance) * travelled;
  }

  warmupPercent(): number {
    if (this.warmupS <= 0) return 100;
    return Math.min(100, Math.floor((100 * secondsSince(this.clock, this.poweredAt)) / this.warmupS));
  }

  setShutter(open: boolean): void {
    if (open === this.shutterTarget) return;
    this.shutterWas = this.shutterOpen();
    this.shutterTarget = open;
    this.shutterChangedAt = this.clock.monotonic();
  }

  /** Requested shutter state (what `SHUT?` reports). */
  get shutterCommanded(): boolean {
    return this.shutterTarget;
  }

  /** Whether light gets through: the shutter has finished opening. */
  shutterOpen(): boolean {
    if (secondsSince(this.clock, this.shutterChangedAt) >= this.shutterDelayS) return this.shutterTarget;
    return this.shutterWas && this.shutterTarget;
  }

  /** Power inside the cavity output coupler (what READ:POW? reports), W. */
  internalPowerW(): number {
    if (!this.emission) return 0;
    return maiTaiPowerW(this.wavelengthActual()) * (this.warmupPercent() / 100);
  }

  /** Power leaving the laser head, after the shutter, W. */
  outputPowerW(): number {
    return this.shutterOpen() ? this.internalPowerW() : 0;
  }

  modeLocked(): boolean {
    return this.emission && Math.abs(this.wavelengthActual() - this.setpoint) < 0.5;
  }
}

/** One ESP300 axis: constant-velocity moves between software limits, homing, stop. */
export class AxisModel {
  readonly number: number;
  velocity = 2.5;
  readonly maxVelocity = 25;
  minLimit = -25;
  maxLimit = 25;
  motorOn = true;
  homed = false;
  private readonly clock: Clock;
  private from = 0;
  private target = 0;
  private startedAt = 0;
  private moveVelocity = 2.5;

  constructor(clock: Clock, number: number) {
    this.clock = clock;
    this.number = number;
  }

  position(): number {
    const travelled = this.moveVelocity * secondsSince(this.clock, this.startedAt);
    const distance = this.target - this.from;
    if (Math.abs(distance) <= travelled) return this.target;
    return this.from + Math.sign(distance) * travelled;
  }

  get desired(): number {
    return this.target;
  }

  isMoving(): boolean {
    return this.position() !== this.target;
  }

  /** Starts a move; returns false if the target is outside the travel limits. */
  moveTo(target: number): boolean {
    if (target < this.minLimit || target > this.maxLimit) return false;
    this.from = this.position();
    this.target = target;
    this.startedAt = this.clock.monotonic();
    this.moveVelocity = this.velocity;
    return true;
  }

  stop(): void {
    const here = this.position();
    this.from = here;
    this.target = here;
    this.startedAt = this.clock.monotonic();
  }

  /** Homing drives to the home switch at 0 and zeroes there. */
  home(): void {
    this.moveTo(0);
    this.homed = true;
  }
}

/**
 * The shared physical model behind every simulator. The laser's beam passes a knife edge on
 * stage axis 1, then reaches the power meter, a photodiode read by the DMM, and the camera,
 * whose test pattern moves with axes 2-3 and brightens with power. One instance per lab.
 */
export class VirtualLab {
  readonly clock: Clock;
  readonly laser: LaserModel;
  readonly axes: AxisModel[];
  readonly random: SeededRandom;
  readonly beamWaistMm: number;
  readonly knifeEdgeMm: number;
  /** Ambient light on the power meter, W (removed by its zero function). */
  readonly ambientW = 4e-8;
  /** Photodiode transimpedance chain: volts per watt on the DMM. */
  readonly photodiodeVPerW = 4;
  /** Camera: pattern shift per mm of stage travel (6.5 µm pixels, 1:1 imaging would be 154). */
  readonly cameraPixelsPerMm = 40;
  /** What the stimulus monitor showed the animal (the simulated cortex responds to it). */
  readonly visualStimulus = new VisualStimulusTrace();
  /** The monitor's photodiode patch, as the display reported it. */
  readonly monitorPatch = new MonitorPatchTrace();
  readonly monitorPhotodiode: { latencyMs: number; volts: number } | null;
  /**
   * Whether the OD3 attenuator is screwed onto the power meter's detector head. A physical part
   * in the beam path, so it lives here with the rest of the optics and not in the meter's
   * simulator: the 1830-C cannot sense it (that is why its `A1` exists, to be told), a test or
   * a bench setup can fit it without touching the meter, and it stays fitted when the meter's
   * simulator is restarted. Not fitted by default, so the head sees the beam directly.
   */
  meterAttenuatorFitted = false;
  /** Transmission of that attenuator (OD3). */
  readonly meterAttenuatorTransmission = 1e-3;
  private readonly seed: number;
  private readonly aldChambers = new Map<string, AldChamber>();

  private line: ProductionLine | null = null;

  constructor(options: VirtualLabOptions) {
    this.clock = options.clock;
    this.seed = options.seed;
    this.random = new SeededRandom(options.seed);
    this.beamWaistMm = options.beamWaistMm;
    this.knifeEdgeMm = options.knifeEdgeMm;
    this.monitorPhotodiode = options.monitorPhotodiode ?? null;
    this.laser = new LaserModel(options.clock, options.warmupS);
    this.axes = [1, 2, 3].map((n) => new AxisModel(options.clock, n));
  }

  /** The ALD reactor behind PLC `id`, made on first use (it outlives a restarted simulator). */
  aldChamber(id: string): AldChamber {
    let chamber = this.aldChambers.get(id);
    if (!chamber) {
      chamber = new AldChamber(this.clock, this.seed + this.aldChambers.size);
      this.aldChambers.set(id, chamber);
    }
    return chamber;
  }

  /**
   * The factory line that the vision-line PLC runs and the vision system inspects, on the lab's
   * clock. Built on first use (a lab without a line starts no timers); the first caller's
   * options win, so the PLC and the camera simulators share one line.
   */
  productionLine(options: Omit<ProductionLineOptions, 'clock'> = {}): ProductionLine {
    this.line ??= new ProductionLine({ seed: this.seed, ...options, clock: this.clock });
    return this.line;
  }

  /** Stops the lab's own timers (the line's cycle); the lab is being thrown away with its app. */
  dispose(): void {
    this.line?.dispose();
    this.line = null;
  }

  axis(n: number): AxisModel {
    const axis = this.axes[n - 1];
    if (!axis) throw new RangeError(`no axis ${n}`);
    return axis;
  }

  /** Fraction of the beam the knife edge lets through. */
  knifeEdgeTransmission(): number {
    return knifeEdgeTransmission(this.axis(1).position(), this.knifeEdgeMm, this.beamWaistMm);
  }

  /** Optical power arriving at the detectors, W. */
  beamPowerW(): number {
    return this.laser.outputPowerW() * this.knifeEdgeTransmission();
  }

  /**
   * What the 1830-C's detector signal is worth in W before the meter's own range and attenuator
   * handling (as shown with `A0` on a range that holds it): the beam plus ambient light (unless
   * zeroed), through the attenuator if one is fitted, scaled by the responsivity error of a wrong
   * calibration wavelength, with noise averaged down by the filter. Times the detector's
   * responsivity at `calibrationNm` this is its photocurrent.
   */
  meterReadingW(calibrationNm: number, averages: number, zeroed: boolean): number {
    const trueNm = this.laser.wavelengthActual();
    const calibration = siliconResponsivity(trueNm) / siliconResponsivity(calibrationNm);
    const transmission = this.meterAttenuatorFitted ? this.meterAttenuatorTransmission : 1;
    const signal = (this.beamPowerW() + (zeroed ? 0 : this.ambientW)) * transmission * calibration;
    const sigma = (2e-9 + 2e-3 * signal) / Math.sqrt(Math.max(1, averages));
    return signal + sigma * this.random.gaussian();
  }

  /** Photodiode voltage read by the DMM, V. */
  photodiodeVoltage(): number {
    const offset = 1.2e-3;
    const monitor = this.monitorPhotodiode;
    const patch = monitor
      ? monitor.volts * this.monitorPatch.levelAt(this.clock.now() - monitor.latencyMs)
      : 0;
    return offset + this.photodiodeVPerW * this.beamPowerW() + patch + 5e-5 * this.random.gaussian();
  }

  /** What the camera sees, as parameters of its test pattern. */
  cameraScene(): { shiftXPx: number; shiftYPx: number; intensity: number } {
    return {
      shiftXPx: this.axis(2).position() * this.cameraPixelsPerMm,
      shiftYPx: this.axis(3).position() * this.cameraPixelsPerMm,
      intensity: this.beamPowerW(),
    };
  }
}
