import type { Clock } from '../core/clock.ts';
import { SeededRandom } from './random.ts';

/** 1 Torr in pascal. */
export const TORR = 133.322;
export const ATMOSPHERE_PA = 101_325;

/** Tunable constants of the chamber (defaults from the ALD reference). */
export const ALD_PHYSICS = {
  /** Integration step, s. */
  stepS: 0.002,
  /** Longest stretch integrated in one catch-up; older time is skipped (the state is near steady). */
  maxCatchUpS: 60,
  basePressureTorr: 0.05,
  /** Pressure per sccm of N2 through the MFC, Torr. */
  torrPerSccm: 0.01,
  /** Extra steady-state pressure of a full precursor bottle with its valve open, Torr. */
  precursorPulseTorr: 0.35,
  riseTauS: 0.05,
  fallTauS: 0.4,
  /** Pump off: time constant of the leak toward atmosphere, s. */
  leakTauS: 1800,
  /** Pump off: pressure rise per sccm flowing in, Pa/s. */
  ventPaPerSccmS: 0.5,
  /** Fill level lost per second a precursor valve is open. */
  depletionPerOpenS: 0.001,
  valveDelayS: 0.008,
  ambientC: 25,
  /** Heater at full power holds ambient + this, °C. */
  heaterSpanC: 400,
  heaterTauS: 180,
  mfcTauS: 0.3,
  mfcFullScaleSccm: 200,
  n2WarmupS: 2,
  /** The over-temperature trip clears this far below its limit, °C. */
  tripHysteresisC: 5,
} as const;

export const VALVES = 6;
/** Valves 1 and 2 carry precursors (TMA, H2O); they are interlocked. */
export const PRECURSOR_VALVES = [1, 2] as const;

/**
 * An ALD reactor as its PLC sees it: chamber pressure, one heated chamber under a clamped PID,
 * an N2 MFC, six valves with actuation delay, and the interlocks a PLC applies to its outputs.
 * Integrated lazily from the injected clock in fixed steps (call `advance` before looking), so a
 * ManualClock drives it exactly and nothing ticks in the background.
 *
 * Commanded states (coils, setpoints) are what clients write; outputs are what the PLC drives:
 * a precursor valve opens only while the pump runs and the pressure is below its limit; a
 * refused command is kept, its valve stays closed and `interlockActive` is raised.
 */
export class AldChamber {
  private readonly clock: Clock;
  private readonly random: SeededRandom;
  private lastS: number;
  // commanded
  heaterEnabled = false;
  pump = true;
  exhaustGate = true;
  n2Generator = true;
  private readonly valveCommand = Array<boolean>(VALVES + 1).fill(false);
  temperatureSetpointC = 25;
  kp = 0.05;
  ki = 0.0005;
  kd = 0;
  /** PID output clamp, % of heater power. */
  outputLimitPct = 100;
  overTemperatureLimitC = 300;
  mfcSetpointSccm = 0;
  pressureLimitPa = 400;
  // state
  pressurePa = ALD_PHYSICS.basePressureTorr * TORR;
  private peakPa = this.pressurePa;
  temperatureC: number = ALD_PHYSICS.ambientC;
  private integral = 0;
  private lastError = 0;
  pidOutputPct = 0;
  mfcActualSccm = 0;
  private readonly valveOpen = Array<boolean>(VALVES + 1).fill(false);
  private readonly valveMovedAt = Array<number>(VALVES + 1).fill(0);
  readonly valveOpenSeconds = Array<number>(VALVES + 1).fill(0);
  /** Precursor bottle fill, 0–1, by valve number. */
  readonly fill = Array<number>(VALVES + 1).fill(1);
  private n2OnSince = 0;
  n2Fault = false;
  interlockActive = false;
  overTemperatureTrip = false;

  constructor(clock: Clock, seed = 1) {
    this.clock = clock;
    this.random = new SeededRandom(seed ^ 0xa1d);
    this.lastS = clock.monotonic() / 1000;
    this.n2OnSince = this.lastS - ALD_PHYSICS.n2WarmupS;
  }

  setValve(valve: number, open: boolean): void {
    this.advance();
    this.valveCommand[valve] = open;
  }

  valveCommanded(valve: number): boolean {
    return this.valveCommand[valve] === true;
  }

  /** The valve as it really is (its position feedback). */
  isValveOpen(valve: number): boolean {
    return this.valveOpen[valve] === true;
  }

  setN2Generator(on: boolean): void {
    this.advance();
    if (on && !this.n2Generator) this.n2OnSince = this.lastS;
    this.n2Generator = on;
  }

  get n2Ready(): boolean {
    return this.n2Generator && !this.n2Fault && this.lastS - this.n2OnSince >= ALD_PHYSICS.n2WarmupS;
  }

  /** Highest pressure since the last `resetPeak` (the PLC's peak-hold register). */
  get peakPressurePa(): number {
    return this.peakPa;
  }

  /** The peak-hold starts again from the present pressure (a client read it). */
  resetPeak(): void {
    this.peakPa = this.pressurePa;
  }

  /** A reading as a gauge gives it: ~1 % noise. */
  pressureReadingPa(): number {
    return this.pressurePa * (1 + 0.01 * this.random.gaussian());
  }

  temperatureReadingC(): number {
    return this.temperatureC + 0.05 * this.random.gaussian();
  }

  mfcReadingSccm(): number {
    if (this.mfcActualSccm === 0) return 0;
    return Math.max(0, this.mfcActualSccm + 0.002 * ALD_PHYSICS.mfcFullScaleSccm * this.random.gaussian());
  }

  /** Integrates up to the clock's now. */
  advance(): void {
    const now = this.clock.monotonic() / 1000;
    const step = ALD_PHYSICS.stepS;
    if (now - this.lastS > ALD_PHYSICS.maxCatchUpS) this.lastS = now - ALD_PHYSICS.maxCatchUpS;
    while (this.lastS + step <= now) {
      this.lastS += step;
      this.step(step);
    }
  }

  private precursorPermitted(): boolean {
    return this.pump && this.pressurePa < this.pressureLimitPa;
  }

  private step(dt: number): void {
    const P = ALD_PHYSICS;
    // Valves: the PLC output is the command AND its permissive; the valve follows after its delay.
    let interlock = false;
    for (let v = 1; v <= VALVES; v++) {
      let output = this.valveCommand[v] === true;
      if ((PRECURSOR_VALVES as readonly number[]).includes(v) && output && !this.precursorPermitted()) {
        output = false;
        interlock = true;
      }
      if (output !== this.valveOpen[v]) {
        if (this.valveMovedAt[v]! <= 0) this.valveMovedAt[v] = this.lastS;
        if (this.lastS - this.valveMovedAt[v]! >= P.valveDelayS) {
          this.valveOpen[v] = output;
          this.valveMovedAt[v] = 0;
        }
      } else this.valveMovedAt[v] = 0;
      if (this.valveOpen[v]) {
        this.valveOpenSeconds[v]! += dt;
        if ((PRECURSOR_VALVES as readonly number[]).includes(v))
          this.fill[v] = Math.max(0, this.fill[v]! - P.depletionPerOpenS * dt);
      }
    }
    this.interlockActive = interlock;

    // MFC: first order toward its setpoint, nothing without N2.
    const target = this.n2Ready ? Math.min(P.mfcFullScaleSccm, Math.max(0, this.mfcSetpointSccm)) : 0;
    this.mfcActualSccm += (dt * (target - this.mfcActualSccm)) / P.mfcTauS;
    if (target === 0 && this.mfcActualSccm < 0.05) this.mfcActualSccm = 0; // below what it resolves

    // Pressure.
    let precursorTorr = 0;
    for (const v of PRECURSOR_VALVES)
      if (this.valveOpen[v]) precursorTorr += P.precursorPulseTorr * this.fill[v]!;
    if (this.pump && this.exhaustGate) {
      const steady = (P.basePressureTorr + P.torrPerSccm * this.mfcActualSccm + precursorTorr) * TORR;
      const tau = steady > this.pressurePa ? P.riseTauS : P.fallTauS;
      this.pressurePa += (dt * (steady - this.pressurePa)) / tau;
    } else {
      const inflow = P.ventPaPerSccmS * this.mfcActualSccm + (precursorTorr * TORR) / P.riseTauS / 100;
      this.pressurePa += dt * ((ATMOSPHERE_PA - this.pressurePa) / P.leakTauS + inflow);
      this.pressurePa = Math.min(ATMOSPHERE_PA, this.pressurePa);
    }
    if (this.pressurePa > this.peakPa) this.peakPa = this.pressurePa;

    // Heater: clamped PID with anti-windup (the integral stops while the output is clamped).
    if (this.temperatureC > this.overTemperatureLimitC) this.overTemperatureTrip = true;
    else if (this.temperatureC < this.overTemperatureLimitC - P.tripHysteresisC)
      this.overTemperatureTrip = false;
    let u = 0;
    if (this.heaterEnabled && !this.overTemperatureTrip) {
      const error = this.temperatureSetpointC - this.temperatureC;
      const derivative = (error - this.lastError) / dt;
      this.lastError = error;
      const limit = Math.min(100, Math.max(0, this.outputLimitPct)) / 100;
      const unclamped = this.kp * error + this.ki * (this.integral + error * dt) + this.kd * derivative;
      u = Math.min(limit, Math.max(0, unclamped));
      if (u === unclamped) this.integral += error * dt;
    } else {
      this.integral = 0;
      this.lastError = 0;
    }
    this.pidOutputPct = u * 100;
    const steadyC = P.ambientC + P.heaterSpanC * u;
    this.temperatureC += (dt * (steadyC - this.temperatureC)) / P.heaterTauS;
  }
}
