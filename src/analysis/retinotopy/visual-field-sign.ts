/**
 * Stage 3 (retinotopy.md §3): visual field sign, sin of the angle between the gradients of the
 * azimuth and altitude maps. θ_m = atan2(∂m/∂row, ∂m/∂col), VFS = sin(θ_az − θ_alt), NaN → 0.
 * Azimuth increasing with column and altitude increasing upward (decreasing with row) gives +1;
 * a camera image that is mirrored relative to the cortex reverses it, hence `cameraFlip`.
 */

/** ∂/∂row and ∂/∂col as numpy.gradient: central differences inside, one-sided at the edges. */
export function gradient(
  map: Float64Array,
  width: number,
  height: number,
): { dRow: Float64Array; dCol: Float64Array } {
  const dRow = new Float64Array(map.length);
  const dCol = new Float64Array(map.length);
  const at = (r: number, c: number) => map[r * width + c] as number;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      if (height > 1) {
        dRow[i] =
          r === 0
            ? at(1, c) - at(0, c)
            : r === height - 1
              ? at(r, c) - at(r - 1, c)
              : (at(r + 1, c) - at(r - 1, c)) / 2;
      }
      if (width > 1) {
        dCol[i] =
          c === 0
            ? at(r, 1) - at(r, 0)
            : c === width - 1
              ? at(r, c) - at(r, c - 1)
              : (at(r, c + 1) - at(r, c - 1)) / 2;
      }
    }
  }
  return { dRow, dCol };
}

export interface VisualFieldSignOptions {
  /** The camera image is mirrored relative to the cortex: reverse the sign. */
  cameraFlip?: boolean;
}

export function visualFieldSign(
  azimuth: Float64Array,
  altitude: Float64Array,
  width: number,
  height: number,
  options: VisualFieldSignOptions = {},
): Float64Array {
  const az = gradient(azimuth, width, height);
  const alt = gradient(altitude, width, height);
  const sign = options.cameraFlip ? -1 : 1;
  const out = new Float64Array(azimuth.length);
  for (let i = 0; i < out.length; i++) {
    const thetaAz = Math.atan2(az.dRow[i] as number, az.dCol[i] as number);
    const thetaAlt = Math.atan2(alt.dRow[i] as number, alt.dCol[i] as number);
    const v = sign * Math.sin(thetaAz - thetaAlt);
    out[i] = Number.isFinite(v) ? v : 0;
  }
  return out;
}
