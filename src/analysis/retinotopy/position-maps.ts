/**
 * Stage 2 (retinotopy.md §3): hemodynamic delay from a pair of opposite sweeps, and the bar
 * position in degrees. For sweeps over S → E (forward) and E → S (reverse) with period T and
 * travel time T_s (r = T_s/T ≤ 1):
 *
 *   φ_f = 2π·r·(θ − S)/(E − S) + δ,   φ_r = 2π·r·(E − θ)/(E − S) + δ
 *
 * so φ_f + φ_r = 2πr + 2δ and φ_f − φ_r = 2πr(2u − 1) with u = (θ − S)/(E − S). With r = 1 (no
 * gap) this is the reference's δ̂ = ½·arg(e^{i(φ_f+φ_r)}) (+π if negative) and
 * k = ½[wrap(φ_f − δ̂ − π) − wrap(φ_r − δ̂ − π)], θ = (S+E)/2 + (E − S)·k/(2π). With a gap the same
 * formulas hold with π replaced by πr and k scaled by T/T_s, which keeps δ̂ the true delay. Phases
 * enter as unit phasors, so nothing depends on where arg() wraps.
 */
export interface AxisSweep {
  /** Bar position at the start and end of the FORWARD direction's sweep (degrees). */
  startDeg: number;
  endDeg: number;
  /** T_s / T: the share of each period the bar is moving. */
  travelRatio: number;
}

export interface PositionMaps {
  /** Bar position (degrees) whose response each pixel follows. */
  position: Float64Array;
  /** Hemodynamic delay δ̂ (radians of the sweep period, in (0, π]). */
  delay: Float64Array;
}

function wrap(angle: number): number {
  return Math.atan2(Math.sin(angle), Math.cos(angle));
}

export function positionFromOppositeSweeps(
  forwardPhase: Float64Array,
  reversePhase: Float64Array,
  sweep: AxisSweep,
): PositionMaps {
  const n = forwardPhase.length;
  const position = new Float64Array(n);
  const delay = new Float64Array(n);
  const r = sweep.travelRatio;
  const { startDeg: S, endDeg: E } = sweep;
  for (let p = 0; p < n; p++) {
    const pf = forwardPhase[p] as number;
    const pr = reversePhase[p] as number;
    // ½·arg of the phasor e^{i(φ_f + φ_r − 2πr)} = e^{2iδ}.
    let d = 0.5 * wrap(pf + pr - 2 * Math.PI * r);
    if (d < 0) d += Math.PI;
    const k = 0.5 * (wrap(pf - d - Math.PI * r) - wrap(pr - d - Math.PI * r));
    position[p] = (S + E) / 2 + ((E - S) * k) / (2 * Math.PI * r);
    delay[p] = d;
  }
  return { position, delay };
}
