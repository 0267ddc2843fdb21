import { analysisLayer, type Layer, type LayerName } from './analysis-layers.ts';
import { encodePng } from './png-image.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';

export interface CompositeLayer {
  name: LayerName;
  /** 0 (invisible) … 1 (covers what is below). */
  opacity: number;
}

type Rgb = [number, number, number];

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
function colourOf(layer: Layer, v: number): Rgb | null {
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

/**
 * The layers painted in order over the anatomical image (grey, the mean frame), each with its
 * colour scale and opacity, as a PNG.
 */
export function compositeImage(results: AnalysisResults, layers: readonly CompositeLayer[]): Buffer {
  const { width, height } = results.grid;
  const rgba = new Uint8Array(width * height * 4);
  const stack = [{ name: 'anatomical' as LayerName, opacity: 1 }, ...layers].map((l) => ({
    layer: analysisLayer(results, l.name),
    opacity: Math.max(0, Math.min(1, l.opacity)),
  }));
  for (let p = 0; p < width * height; p++) {
    let rgb: Rgb = [0, 0, 0];
    for (const { layer, opacity } of stack) {
      const c = colourOf(layer, layer.values[p] as number);
      if (c) rgb = [0, 1, 2].map((i) => (1 - opacity) * rgb[i]! + opacity * c[i]!) as Rgb;
    }
    rgba.set([Math.round(rgb[0]), Math.round(rgb[1]), Math.round(rgb[2]), 255], p * 4);
  }
  return encodePng(rgba, width, height);
}
