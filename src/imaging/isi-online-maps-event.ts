/**
 * The online maps of a session being recorded, on the bus (and the stream's `imaging` channel).
 * Each layer is downsampled to at most `ONLINE_PREVIEW_MAX_SIDE` pixels on its long side and
 * quantised to a byte (0…254 between min and max, 255 = no value), so a message is a few tens
 * of kB once a second; the full-resolution float32 maps come from GET /isi/analysis/layer.
 */
export interface OnlineMapLayer {
  min: number;
  max: number;
  /** width × height bytes, row-major, base64. */
  data: string;
}

export interface IsiOnlineMapsEvent {
  /** The ISI session being recorded. */
  session: string;
  /** Its analysis id (the file's path under the output directory), for GET /isi/analysis/layer. */
  analysis: string;
  /** Server clock ms when these maps were asked for (they hold every frame handed on by then). */
  at: number;
  /** Camera frames in each direction's maps so far. */
  frames: Record<string, number>;
  /** Size of the full maps, and of the downsampled layers here. */
  full_width: number;
  full_height: number;
  width: number;
  height: number;
  /** azimuth, altitude, raw_vfs, and phase_/magnitude_ of each direction with frames. */
  layers: Record<string, OnlineMapLayer>;
  /** The recording has ended: these are the last online maps. */
  final: boolean;
}

export const ONLINE_PREVIEW_MAX_SIDE = 64;
