import h5wasm, { type Dataset, type File } from 'h5wasm/node';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';

const DIRECTIONS = ['LR', 'RL', 'TB', 'BT'];

export interface PlaybackFrame {
  direction: string;
  index: number;
  /** Frames of this direction readable now (a session being written grows between calls). */
  frames: number;
  width: number;
  height: number;
  timestamp_us: number;
  sequence: number;
  pixels: Uint16Array;
}

export interface PlaybackState {
  id: string;
  session: string;
  direction: string;
  fps: number;
  playing: boolean;
  /** The frame on screen now (position × fps while playing, clamped to the frames readable). */
  index: number;
  frames: number;
}

/** Opens the session in SWMR read mode each time, so every read sees the writer's last flush. */
async function withFile<T>(path: string, read: (file: File) => T): Promise<T> {
  const m = await h5wasm.ready;
  m.activate_throwing_error_handler();
  let file: File;
  try {
    file = new h5wasm.File(path, 'Sr');
  } catch (error) {
    // The writer leaves SWMR briefly to add a direction's datasets; the next call succeeds.
    throw new BenchtopError(
      'SESSION_FILE_BUSY',
      `${path} cannot be opened right now: ${(error as Error).message.split('\n')[0]}`,
      {
        path,
      },
    );
  }
  try {
    return read(file);
  } finally {
    file.close();
  }
}

const datasetOf = (file: File, p: string): Dataset | null => {
  const d = file.get(p);
  return d instanceof h5wasm.Dataset ? (d as Dataset) : null;
};

/** Camera frames per direction readable now. */
export function framesPerDirection(path: string): Promise<Record<string, number>> {
  return withFile(path, (file) => {
    const out: Record<string, number> = {};
    for (const dir of DIRECTIONS) {
      const frames = datasetOf(file, `/${dir}/camera/frames`);
      if (frames) out[dir] = frames.shape![0]!;
    }
    return out;
  });
}

/** The root attributes of a session file (format, session, camera, display, started_at, stop_state …). */
export function sessionAttrs(path: string): Promise<Record<string, string | number>> {
  return withFile(path, (file) =>
    Object.fromEntries(
      Object.entries(file.attrs).map(([k, a]) => [
        k,
        typeof a.value === 'bigint' ? Number(a.value) : (a.value as string | number),
      ]),
    ),
  );
}

/** Frames per second of a direction's camera timestamps (null with fewer than two frames). */
export function cameraRate(path: string, direction: string): Promise<number | null> {
  return withFile(path, (file) => {
    const t = datasetOf(file, `/${direction}/camera/timestamps_us`)?.value as BigInt64Array | undefined;
    if (!t || t.length < 2) return null;
    const spanS = Number(t[t.length - 1]! - t[0]!) / 1e6;
    return spanS > 0 ? (t.length - 1) / spanS : null;
  });
}

/** One camera frame of a session (closed or growing), read as a slice. */
export function readPlaybackFrame(path: string, direction: string, index: number): Promise<PlaybackFrame> {
  return withFile(path, (file) => {
    const frames = datasetOf(file, `/${direction}/camera/frames`);
    if (!frames)
      throw new BenchtopError('NOT_FOUND', `${path}: no camera frames for ${direction}`, { direction });
    const [n, height, width] = frames.shape as [number, number, number];
    if (!Number.isInteger(index) || index < 0 || index >= n)
      throw new BenchtopError('VALUE_INVALID', `frame ${index} of ${direction}: the session has ${n}`, {
        direction,
        index,
        frames: n,
      });
    const row = (name: string) =>
      Number(
        (datasetOf(file, `/${direction}/camera/${name}`)!.slice([[index, index + 1]]) as BigInt64Array)[0],
      );
    return {
      direction,
      index,
      frames: n,
      width,
      height,
      timestamp_us: row('timestamps_us'),
      sequence: row('sequence'),
      pixels: frames.slice([[index, index + 1]]) as Uint16Array,
    };
  });
}

/**
 * A replay of one direction at camera rate: play, pause and seek move a position that the
 * clock advances while playing, so whoever asks for the current frame gets the one due now.
 */
export class PlaybackSequence {
  readonly id: string;
  readonly session: string;
  readonly path: string;
  readonly fps: number;
  private readonly clock: Clock;
  direction: string;
  private playing = false;
  /** Position (frames) at `since`, and when that was (clock ms). */
  private base = 0;
  private since = 0;

  constructor(options: {
    id: string;
    session: string;
    path: string;
    direction: string;
    fps: number;
    clock: Clock;
  }) {
    this.id = options.id;
    this.session = options.session;
    this.path = options.path;
    this.direction = options.direction;
    this.fps = options.fps;
    this.clock = options.clock;
    this.since = this.clock.now();
  }

  private position(): number {
    return this.playing ? this.base + ((this.clock.now() - this.since) * this.fps) / 1000 : this.base;
  }

  play(): void {
    if (this.playing) return;
    this.since = this.clock.now();
    this.playing = true;
  }

  pause(): void {
    this.base = this.position();
    this.playing = false;
  }

  seek(index: number, direction = this.direction): void {
    this.direction = direction;
    this.base = index;
    this.since = this.clock.now();
  }

  /** The current frame index, clamped to `frames` readable (playing stops at the end). */
  async state(): Promise<PlaybackState> {
    const frames = (await framesPerDirection(this.path))[this.direction] ?? 0;
    let index = Math.floor(this.position());
    if (index >= frames) index = Math.max(0, frames - 1);
    return {
      id: this.id,
      session: this.session,
      direction: this.direction,
      fps: this.fps,
      playing: this.playing,
      index,
      frames,
    };
  }

  /** Frame `index`, or the one due now. */
  async frame(index?: number): Promise<PlaybackFrame> {
    return readPlaybackFrame(this.path, this.direction, index ?? (await this.state()).index);
  }
}
