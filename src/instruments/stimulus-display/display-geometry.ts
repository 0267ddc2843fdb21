/**
 * Where each point of the stimulus monitor lies in the visual field (Marshel et al. 2011).
 * Pure arithmetic with no imports: the presentation page (web/) and the simulated cortex use
 * the same mapping as the server's schedule.
 *
 * Screen coordinates, in cm, are measured from the foot of the perpendicular from the eye to
 * the screen: y to the right as the animal sees the screen, z up; x0 is the eye–screen
 * distance. With spherical correction a point's
 *   azimuth  = atan2(y, x0)              (positive to the right, so LR sweeps increasing azimuth)
 *   altitude = atan2(z, √(x0² + y²))     (positive up, so TB sweeps decreasing altitude)
 * and a bar of constant azimuth or altitude is a curve on the flat screen. Without correction
 * altitude is atan2(z, x0): the bar is straight and its degrees are true only on the centre line.
 */

export interface DisplayGeometry {
  widthCm: number;
  heightCm: number;
  distanceCm: number;
  resolutionX: number;
  resolutionY: number;
  /** Foot of the eye's perpendicular relative to the screen centre, cm (right and up positive). */
  eyeXCm: number;
  eyeYCm: number;
  sphericalCorrection: boolean;
}

export interface VisualPoint {
  azimuthDeg: number;
  altitudeDeg: number;
}

export interface FieldExtent {
  azimuth: { min: number; max: number };
  altitude: { min: number; max: number };
}

const DEG = 180 / Math.PI;

/** A screen point (cm from the eye's foot point) in visual degrees. */
export function screenToVisual(g: DisplayGeometry, yCm: number, zCm: number): VisualPoint {
  const x0 = g.distanceCm;
  const azimuthDeg = Math.atan2(yCm, x0) * DEG;
  const altitudeDeg = g.sphericalCorrection
    ? Math.atan2(zCm, Math.sqrt(x0 * x0 + yCm * yCm)) * DEG
    : Math.atan2(zCm, x0) * DEG;
  return { azimuthDeg, altitudeDeg };
}

/** The centre of display pixel (px, py), row 0 at the top, in cm from the eye's foot point. */
export function pixelToScreenCm(g: DisplayGeometry, px: number, py: number): { yCm: number; zCm: number } {
  return {
    yCm: ((px + 0.5) / g.resolutionX) * g.widthCm - g.widthCm / 2 - g.eyeXCm,
    zCm: g.heightCm / 2 - ((py + 0.5) / g.resolutionY) * g.heightCm - g.eyeYCm,
  };
}

/** Screen edges in cm from the eye's foot point. */
function screenEdges(g: DisplayGeometry): { yMin: number; yMax: number; zMin: number; zMax: number } {
  return {
    yMin: -g.widthCm / 2 - g.eyeXCm,
    yMax: g.widthCm / 2 - g.eyeXCm,
    zMin: -g.heightCm / 2 - g.eyeYCm,
    zMax: g.heightCm / 2 - g.eyeYCm,
  };
}

/**
 * The range of azimuth and altitude the screen covers. Azimuth depends on y alone. Altitude at
 * a fixed z is largest in magnitude where |y| is smallest (the y nearest 0 on the screen) and
 * smallest where |y| is largest, so its extremes lie among those columns and the top and bottom
 * edges. For a centred eye this is ±atan(W/2 / x0) by ±atan(H/2 / x0).
 */
export function fieldExtent(g: DisplayGeometry): FieldExtent {
  const { yMin, yMax, zMin, zMax } = screenEdges(g);
  const nearestY = yMin <= 0 && yMax >= 0 ? 0 : Math.abs(yMin) < Math.abs(yMax) ? yMin : yMax;
  const farthestY = Math.abs(yMin) > Math.abs(yMax) ? yMin : yMax;
  const altitudes = [nearestY, farthestY].flatMap((y) =>
    [zMin, zMax].map((z) => screenToVisual(g, y, z).altitudeDeg),
  );
  return {
    azimuth: { min: screenToVisual(g, yMin, 0).azimuthDeg, max: screenToVisual(g, yMax, 0).azimuthDeg },
    altitude: { min: Math.min(...altitudes), max: Math.max(...altitudes) },
  };
}
