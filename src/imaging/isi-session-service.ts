import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { Logger } from '../core/logger.ts';
import { type AnatomicalImage, captureAnatomical } from './anatomical-image.ts';
import { exportGuideLayout } from './guide-layout.ts';
import { IsiParameterStore } from './isi-parameters.ts';
import { isiParametersPath } from './isi-parameters-path.ts';
import { cameraRate, framesPerDirection, PlaybackSequence, sessionAttrs } from './isi-playback.ts';
import { type IsiSessionObserver, type IsiSessionResult, recordIsiSession } from './isi-session-recorder.ts';

/** Makes the online maps of a session about to be recorded into `path`; `ended` once it has stopped. */
export type IsiOnlineFollower = (session: {
  id: string;
  path: string;
  /** The anatomical snapshot the recording will store (the latest taken), or null. */
  anatomical: () => AnatomicalImage | null;
}) => {
  observer: IsiSessionObserver;
  ended(): void;
};

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
  readonly clock: Clock;
  private readonly log: Logger;
  private recording: string | null = null;
  /** The rig's parameters, where `isiParametersPath` says (backups beside it). */
  readonly parameters: IsiParameterStore;
  private readonly playbacks = new Map<string, PlaybackSequence>();
  /** The last anatomical snapshot: stored in the session recording now, or else in the next one. */
  private anatomical: AnatomicalImage | null = null;
  private nextPlayback = 1;
  private readonly online: IsiOnlineFollower | undefined;
  /** Settles when each session this server records has ended (and its follower was told). */
  private readonly finished = new Map<string, Promise<void>>();

  constructor(options: {
    outputDir: string;
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
    log: Logger;
    /** Follows each recording with online maps (the analysis service). */
    online?: IsiOnlineFollower;
  }) {
    this.online = options.online;
    this.dir = resolve(options.outputDir, 'isi');
    this.parameters = new IsiParameterStore(isiParametersPath(options.outputDir));
    this.bus = options.bus;
    this.clock = options.clock;
    this.log = options.log;
  }

  list(): IsiSessionInfo[] {
    return [...this.sessions.values()];
  }

  /** `list()` and every session file on disk (a file that cannot be opened is left out). */
  async listAll(): Promise<IsiSessionInfo[]> {
    for (const id of this.onDisk()) if (!this.sessions.has(id)) await this.load(id).catch(() => undefined);
    return this.list();
  }

  get(id: string): IsiSessionInfo {
    const s = this.sessions.get(id);
    if (!s) throw new BenchtopError('NOT_FOUND', `no ISI session ${id}`, { session: id });
    return s;
  }

  /** Session files in `{output_dir}/isi/` (recorded by an earlier server too), by id. */
  onDisk(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.h5'))
      .map((f) => f.slice(0, -3))
      .sort();
  }

  /** A session known to this server, or one of an earlier server's files opened from disk. */
  async load(id: string): Promise<IsiSessionInfo> {
    const known = this.sessions.get(id);
    if (known) return known;
    if (!/^[\w.-]+$/.test(id) || !this.onDisk().includes(id))
      throw new BenchtopError('NOT_FOUND', `no ISI session ${id}`, { session: id });
    const path = join(this.dir, `${id}.h5`);
    const attrs = await sessionAttrs(path);
    if (attrs.format !== 'benchtop-isi-session')
      throw new BenchtopError('VALUE_INVALID', `${path} is not an ISI session file`, { session: id });
    const stop = String(attrs.stop_state ?? 'stopped');
    const info: IsiSessionInfo = {
      id,
      camera: String(attrs.camera ?? ''),
      display: String(attrs.display ?? ''),
      path,
      state: (['done', 'stalled', 'stopped', 'camera_lost'].includes(stop)
        ? stop
        : 'stopped') as IsiSessionInfo['state'],
      started_at: Date.parse(String(attrs.started_at)),
      result: null,
      error:
        attrs.stop_state === undefined ? 'the file was not closed (its writer stopped before the end)' : null,
    };
    this.sessions.set(id, info);
    return info;
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
    let follower: ReturnType<IsiOnlineFollower> | undefined;
    try {
      follower = this.online?.({ id, path: info.path, anatomical: () => this.anatomical });
    } catch (error) {
      this.log.warn({ session: id }, `ISI session ${id}: no online maps: ${(error as Error).message}`);
    }
    const recorded = recordIsiSession({
      session: id,
      camera,
      display,
      bus: this.bus,
      path: info.path,
      leadS,
      startedAt,
      anatomical: () => this.anatomical,
      ...(follower ? { observer: follower.observer } : {}),
    })
      .finally(() => {
        try {
          follower?.ended();
        } catch (error) {
          this.log.warn(
            { session: id },
            `ISI session ${id}: analysis not started: ${(error as Error).message}`,
          );
        }
      })
      .then(
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
    this.finished.set(id, recorded);
    return info;
  }

  /** Resolves once session `id` (recorded by this server) has ended. */
  async whenFinished(id: string): Promise<IsiSessionInfo> {
    await this.finished.get(id);
    return this.get(id);
  }

  /**
   * The guide's capture_anatomical: the mean of `camera.anatomical_frames` frames (the
   * illumination switched on when configured), kept for the session being recorded or else the
   * next one, whose file stores it as /anatomical.
   */
  async captureAnatomical(
    camera: Instrument,
    instruments: InstrumentDirectory,
    frames?: number,
  ): Promise<AnatomicalImage & { session: string | null }> {
    const p = this.parameters.read().camera;
    const image = await captureAnatomical({
      camera,
      instruments,
      bus: this.bus,
      clock: this.clock,
      frames: frames ?? p.anatomical_frames,
      illumination: p.anatomical_illumination,
      illuminationOn: p.anatomical_illumination_on,
      timeoutMs: 10_000,
    });
    this.anatomical = image;
    return { ...image, session: this.recording };
  }

  /** The last anatomical snapshot, or null. */
  lastAnatomical(): AnatomicalImage | null {
    return this.anatomical;
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
    const info = await this.load(id);
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
