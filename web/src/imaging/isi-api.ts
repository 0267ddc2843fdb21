import type { Static } from '@sinclair/typebox';
import type {
  IsiSessionInfo,
  PlaybackFrame as PlaybackFrameSchema,
  PlaybackState as PlaybackStateSchema,
} from '../../../src/server/api-types.ts';
import { getJson, sendJson } from '../api/http.ts';

/** The imaging rig's routes (src/server/routes/isi-routes.ts), as the imaging page calls them. */

export type PlaybackState = Static<typeof PlaybackStateSchema>;
export type PlaybackFrame = Static<typeof PlaybackFrameSchema>;
export type { IsiSessionInfo };

export interface DisplayRunState {
  id: string;
  state: 'pending' | 'presenting' | 'done' | 'stalled' | 'stopped';
  frame_count: number;
  last_index: number;
  dropped: number;
  late: number;
}

/** One of the guide's commands (POST /isi/command). */
export async function isiCommand<T>(command: string, params: Record<string, unknown> = {}): Promise<T> {
  return (await sendJson<{ result: T }>('POST', '/api/v1/isi/command', { command, params })).result;
}

export const isiApi = {
  sessions: (signal?: AbortSignal) => getJson<IsiSessionInfo[]>('/api/v1/isi/sessions', signal),
  startPlayback: (session: string) => sendJson<PlaybackState>('POST', '/api/v1/isi/playback', { session }),
  control: (id: string, action: 'play' | 'pause' | 'seek', index?: number) =>
    sendJson<PlaybackState>('POST', `/api/v1/isi/playback/${encodeURIComponent(id)}/control`, {
      action,
      ...(index === undefined ? {} : { index }),
    }),
  playbackState: (id: string) => getJson<PlaybackState>(`/api/v1/isi/playback/${encodeURIComponent(id)}`),
  frame: (id: string, index?: number) =>
    getJson<PlaybackFrame>(
      `/api/v1/isi/playback/${encodeURIComponent(id)}/frame${index === undefined ? '' : `?index=${index}`}`,
    ),
};

/** A playback frame's uint16 pixels drawn grey on a canvas, levelled between its min and max. */
export function drawUint16Frame(canvas: HTMLCanvasElement, frame: PlaybackFrame): void {
  const bytes = Uint8Array.from(atob(frame.pixels_base64), (c) => c.charCodeAt(0));
  const pixels = new Uint16Array(bytes.buffer, 0, frame.width * frame.height);
  let lo = 65535;
  let hi = 0;
  for (const v of pixels) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = 255 / Math.max(1, hi - lo);
  canvas.width = frame.width;
  canvas.height = frame.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(frame.width, frame.height);
  for (let i = 0, j = 0; i < pixels.length; i++, j += 4) {
    const g = (pixels[i]! - lo) * scale;
    img.data[j] = g;
    img.data[j + 1] = g;
    img.data[j + 2] = g;
    img.data[j + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
