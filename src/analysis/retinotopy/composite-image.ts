import { analysisLayer, type LayerName } from './analysis-layers.ts';
import { compositeRgba } from './layer-colours.ts';
import { encodePng } from './png-image.ts';
import type { AnalysisResults } from './session-files/analysis-results-file.ts';

export interface CompositeLayer {
  name: LayerName;
  /** 0 (invisible) … 1 (covers what is below). */
  opacity: number;
}

/**
 * The layers painted in order over the anatomical image (grey: the session's snapshot, else the
 * mean frame; analysis-layers.ts), each with its colour scale and opacity, as a PNG.
 */
export function compositeImage(results: AnalysisResults, layers: readonly CompositeLayer[]): Buffer {
  const { width, height } = results.grid;
  const stack = [{ name: 'anatomical' as LayerName, opacity: 1 }, ...layers].map((l) => ({
    layer: analysisLayer(results, l.name),
    opacity: l.opacity,
  }));
  const rgba = compositeRgba(stack, width * height);
  return encodePng(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
}
