/**
 * Eccentricity (degrees) of every pixel's (alt, azi) from a centre, as the Allen code computes it:
 * atan(√(tan²Δalt + tan²Δazi / cos²Δalt)).
 */
export function eccentricityMap(
  altitude: Float64Array,
  azimuth: Float64Array,
  altCenter: number,
  aziCenter: number,
): Float64Array {
  const rad = Math.PI / 180;
  return altitude.map((alt, i) => {
    const dAlt = (alt - altCenter) * rad;
    const dAzi = ((azimuth[i] as number) - aziCenter) * rad;
    const tAlt = Math.tan(dAlt);
    const tAzi = Math.tan(dAzi);
    const cAlt = Math.cos(dAlt);
    return Math.atan(Math.sqrt(tAlt * tAlt + (tAzi * tAzi) / (cAlt * cAlt))) / rad;
  });
}

/**
 * Mean (alt, azi) of the patch's pixels (Allen `getPixelVisualCenter`, which, like this, leaves out
 * pixels whose value is exactly 0).
 */
export function patchVisualCenter(
  mask: Uint8Array,
  altitude: Float64Array,
  azimuth: Float64Array,
): [number, number] {
  const mean = (values: Float64Array) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < mask.length; i++) {
      const v = values[i] as number;
      if (mask[i] && v !== 0) {
        s += v;
        n++;
      }
    }
    return n > 0 ? s / n : 0;
  };
  return [mean(altitude), mean(azimuth)];
}
