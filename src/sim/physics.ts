/** Physical relations the simulators share. Pure functions, unit-tested against known values. */

/** Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return sign * y;
}

/**
 * Fraction of a Gaussian beam (1/e² radius `waist`) passing a knife edge at `edge` when the
 * blade is at `position`: 0 with the blade fully in, 1 fully out. Moving the stage toward +x
 * withdraws the blade. This is the erf curve a knife-edge scan recovers the waist from.
 */
export function knifeEdgeTransmission(position: number, edge: number, waist: number): number {
  return 0.5 * (1 + erf((Math.SQRT2 * (position - edge)) / waist));
}

/**
 * Mai Tai output power versus wavelength: the Ti:sapphire gain curve, peaking near 800 nm
 * (about 2.9 W for a Mai Tai HP) and falling off toward the tuning-range ends.
 */
export function maiTaiPowerW(wavelengthNm: number): number {
  const peak = 2.9;
  const center = 800;
  const width = 170;
  return peak * Math.exp(-(((wavelengthNm - center) / width) ** 2));
}

/**
 * Responsivity (A/W) of a silicon photodiode detector like the 818-SL head read by the
 * 1830-C, approximated as a smooth curve peaking near 950 nm. A meter set to the wrong
 * wavelength scales its reading by R(true)/R(set).
 */
export function siliconResponsivity(wavelengthNm: number): number {
  const peak = 0.62;
  return Math.max(0.01, peak * Math.exp(-(((wavelengthNm - 950) / 330) ** 2)));
}
