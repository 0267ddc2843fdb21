import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { Logger } from '../core/logger.ts';
import { exportGuideLayout } from './guide-layout.ts';
import { cameraRate, framesPerDirection, PlaybackSequence } from './isi-playback.ts';
import { type IsiSessionResult, recordIsiSession } from './isi-session-recorder.ts';

export interface IsiSessionInfo {
  id: string;
  camera: string;
  display: string;
  path: string;
  state: 'recording' | IsiSessionResult['state'] | 'failed';
  started_at: number;
  result: IsiSessionResult | null;
  error: string | null;
}

/**
 * The record mode of the imaging rig: one session at a time, each into
 * `{output_dir}/isi/{id}.h5` (docs/isi-session-file.md), with export to the guide's layout
 * beside it. Sessions are kept in memory for the server's lifetime (listing older files is
 * later work).
 */
export class IsiSessionService {
  private readonly sessions = new Map<string, IsiSessionInfo>();
  private readonly dir: string;
  private readonly bus: EventBus<BenchtopEvents>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private recording: string | null = null;
  private readonly playbacks = new Map<string, PlaybackSequence>();
  private nextPlayback = 1;

  constructor(options: { outputDir: string; bus: EventBus<BenchtopEvents>; clock: Clock; log: Logger }) {
    this.dir = resolve(options.outputDir, 'isi');
    this.bus = options.bus;
    this.clock = options.clock;
    this.log = options.log;
  }

  list(): IsiSessionInfo[] {
    return [...this.sessions.values()];
  }

  get(id: string): IsiSessionInfo {
    const s = this.sessions.get(id);
    if (!s) throw new BenchtopError('NOT_FOUND', `no ISI session ${id}`, { session: id });
    return s;
  }

  /** Starts recording; resolves once it is under way (the session runs on in the background). */
  start(camera: Instrument, display: Instrument, leadS: number): IsiSessionInfo {
    if (this.recording)
      throw new BenchtopError('RUN_STATE_CONFLICT', `ISI session ${this.recording} is still recording`, {
        session: this.recording,
      });
    const startedAt = this.clock.now();
    const id = `isi-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}`;
    mkdirSync(this.dir, { recursive: true });
    const info: IsiSessionInfo = {
      id,
      camera: camera.id,
      display: display.id,
      path: join(this.dir, `${id}.h5`),
      state: 'recording',
      started_at: startedAt,
      result: null,
      error: null,
    };
    this.sessions.set(id, info);
    this.recording = id;
    recordIsiSession({ session: id, camera, display, bus: this.bus, path: info.path, leadS, startedAt }).then(
      (result) => {
        info.result = result;
        info.state = result.state;
        this.recording = null;
        this.log.info({ session: id, reason: result.reason }, `ISI session ${id} ${result.state}`);
      },
      (error: unknown) => {
        info.state = 'failed';
        info.error = error instanceof Error ? error.message : String(error);
        this.recording = null;
        this.log.warn({ session: id }, `ISI session ${id} failed: ${info.error}`);
      },
    );
    return info;
  }

  /** Writes the guide's layout of a finished session into `{output_dir}/isi/{id}/`. */
  async exportGuide(id: string): Promise<string[]> {
    const info = this.get(id);
    if (info.state === 'recording' || info.state === 'failed')
      throw new BenchtopError('RUN_STATE_CONFLICT', `ISI session ${id} is ${info.state}`, { session: id });
    return exportGuideLayout(info.path, join(this.dir, id));
  }

  /**
   * Playback mode: a replay of a session (finished or still recording: it reads what the
   * writer last flushed) at the camera's rate unless `fps` is given, paused at frame 0.
   */
  async startPlayback(id: string, options: { direction?: string; fps?: number }): Promise<PlaybackSequence> {
    const info = this.get(id);
    const counts = await framesPerDirection(info.path);
    const direction = options.direction ?? Object.keys(counts)[0];
    if (!direction || counts[direction] === undefined)
      throw new BenchtopError(
        'NOT_FOUND',
        `ISI session ${id} has no camera frames${options.direction ? ` for ${options.direction}` : ''} yet`,
        {
          session: id,
          directions: Object.keys(counts),
        },
      );
    const fps = options.fps ?? (await cameraRate(info.path, direction)) ?? 30;
    const sequence = new PlaybackSequence({
      id: `playback-${this.nextPlayback++}`,
      session: id,
      path: info.path,
      direction,
      fps,
      clock: this.clock,
    });
    this.playbacks.set(sequence.id, sequence);
    return sequence;
  }

  playback(id: string): PlaybackSequence {
    const p = this.playbacks.get(id);
    if (!p) throw new BenchtopError('NOT_FOUND', `no playback ${id}`, { playback: id });
    return p;
  }
}
