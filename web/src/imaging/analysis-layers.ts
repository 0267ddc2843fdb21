import type { LayerName } from '../../../src/analysis/retinotopy/analysis-layers.ts';
import type { IsiAnalysisInfo, IsiAnalysisLayer } from '../../../src/server/api-types.ts';
import { getJson, query, sendJson } from '../api/http.ts';

export type { IsiAnalysisInfo, LayerName };

/** A layer as the page paints it: float32 values row-major, and their range. */
export interface LoadedLayer {
  name: LayerName;
  width: number;
  height: number;
  min: number;
  max: number;
  values: Float32Array;
  /** The anatomical layer only: the session's snapshot, or the mean frame when it has none. */
  source?: 'snapshot' | 'mean_frame';
}

function decodeFloat32(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** get_analysis_layer: a finished analysis's map, or the online maps of a session being recorded. */
export async function fetchLayer(id: string, name: LayerName, signal?: AbortSignal): Promise<LoadedLayer> {
  const reply = await getJson<IsiAnalysisLayer>(
    `/api/v1/isi/analysis/layer${query({ id, layer: name })}`,
    signal,
  );
  return {
    name,
    width: reply.width,
    height: reply.height,
    min: reply.min,
    max: reply.max,
    values: decodeFloat32(reply.data),
    ...(reply.source ? { source: reply.source } : {}),
  };
}

export function analysisInfo(id: string, options: { wait?: boolean; signal?: AbortSignal } = {}) {
  return getJson<IsiAnalysisInfo>(
    `/api/v1/isi/analysis${query({ id, wait: options.wait ? 'true' : undefined })}`,
    options.signal,
  );
}

/** start_analysis (again with other parameters: recomputes only what they change). */
export function startAnalysis(session: string, parameters: Record<string, unknown>) {
  return sendJson<IsiAnalysisInfo>('POST', '/api/v1/isi/analysis', { session, parameters });
}

/** What the page says the anatomical image under the layers is. */
export function anatomicalCaption(source: LoadedLayer['source']): string {
  return source === 'snapshot'
    ? 'Anatomical: snapshot under green light'
    : 'Anatomical: mean frame (no snapshot taken)';
}

export const RESULTS_FILE = 'analysis_results.h5';

export function resultsFilePath(id: string): string {
  return `/api/v1/isi/analysis/results.h5${query({ id })}`;
}
