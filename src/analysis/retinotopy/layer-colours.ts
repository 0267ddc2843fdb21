/**
 * The colour scale of each analysis layer, and layers painted over each other with their
 * opacities: one definition for the server's composite PNG (composite-image.ts) and the
 * dashboard's layers page (web/src/imaging/), which draws the same layers in the browser.
 * Pure arithmetic, no Node imports.
 */

/** What a colour scale needs of a layer: its name and its value range. */
export interface ColourScaled {
  name: string;
  min: number;
  max: number;
}

export type Rgb = [number, number, number];

/** Cyclic hue for positions and phases (a full turn over the layer's range). */
function hue(u: number): Rgb {
  const h = ((u % 1) + 1) % 1;
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => 255 * (1 - Math.max(0, Math.min(k(n), 4 - k(n), 1)));
  return [f(5), f(3), f(1)];
}

/** Blue (−1) – white (0) – red (+1) for the visual field sign. */
function diverging(v: number): Rgb {
  const t = Math.max(-1, Math.min(1, v));
  return t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255];
}

/** Dark blue → yellow for magnitudes and coherence. */
function sequential(u: number): Rgb {
  const t = Math.max(0, Math.min(1, u));
  return [40 + 215 * t, 20 + 215 * t, 120 * (1 - t)];
}

function areaColour(label: number): Rgb {
  return hue((label * 0.618034) % 1).map((c) => 0.6 * c + 60) as Rgb;
}

/** The colour of one value of a layer, or null where the layer draws nothing. */
export function colourOf(layer: ColourScaled, v: number): Rgb | null {
  if (!Number.isFinite(v)) return null;
  const u = layer.max > layer.min ? (v - layer.min) / (layer.max - layer.min) : 0;
  if (layer.name === 'areas') return v > 0 ? areaColour(v) : null;
  if (layer.name === 'boundaries') return v > 0 ? [0, 0, 0] : null;
  if (layer.name === 'raw_vfs' || layer.name === 'coherence_vfs') return diverging(v);
  if (layer.name === 'anatomical') return [255 * u, 255 * u, 255 * u];
  if (layer.name === 'azimuth' || layer.name === 'altitude' || layer.name.startsWith('phase_'))
    return hue(u * 0.85); // not a full turn: the two ends of a position map stay distinct
  return sequential(u);
}

/** A layer as painted: its scale and its values (row-major), with an opacity 0…1. */
export interface PaintedLayer {
  layer: ColourScaled & { values: ArrayLike<number> };
  opacity: number;
}

/** The layers painted in order over black, as RGBA bytes (opaque). */
export function compositeRgba(
  stack: readonly PaintedLayer[],
  pixels: number,
): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(pixels * 4);
  const layers = stack.map((l) => ({ layer: l.layer, opacity: Math.max(0, Math.min(1, l.opacity)) }));
  for (let p = 0; p < pixels; p++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (const { layer, opacity } of layers) {
      if (opacity === 0) continue;
      const c = colourOf(layer, layer.values[p] as number);
      if (!c) continue;
      r = (1 - opacity) * r + opacity * c[0];
      g = (1 - opacity) * g + opacity * c[1];
      b = (1 - opacity) * b + opacity * c[2];
    }
    rgba[p * 4] = Math.round(r);
    rgba[p * 4 + 1] = Math.round(g);
    rgba[p * 4 + 2] = Math.round(b);
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** `steps` colours across a layer's scale from min to max (a legend's gradient). */
export function colourRamp(layer: ColourScaled, steps: number): Rgb[] {
  const out: Rgb[] = [];
  for (let k = 0; k < steps; k++) {
    const v = layer.min + ((layer.max - layer.min) * k) / Math.max(1, steps - 1);
    out.push(
      colourOf(
        layer,
        layer.name === 'areas' ? Math.max(1, Math.round(v)) : layer.name === 'boundaries' ? 1 : v,
      ) ?? [0, 0, 0],
    );
  }
  return out;
}
