import { existsSync, mkdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BenchtopError } from '../core/errors.ts';
import type { Frame } from '../core/frame.ts';
import type { FrameRequest, FrameSource } from '../core/frame-source.ts';
import {
  CompressedFramesFile,
  type CompressedFramesOptions,
} from '../storage/hdf5/compressed-frames-file.ts';
import { CompressedFramesReader } from '../storage/hdf5/compressed-frames-reader.ts';
import { FRAMES_DATASET } from '../storage/hdf5/frame-series.ts';
import { FRAMES_FILE_SUFFIX } from '../storage/hdf5/run-file-layout.ts';

/**
 * Camera frames on the agent's host: a run on the hub asks the agent to acquire, the agent
 * writes every frame into an HDF5 file of its own (`<output_dir>/frames/<run>/<camera>.frames.h5`,
 * dataset `/data` of (frames, height, width) uint16, one uncompressed chunk per frame, written by
 * CompressedFramesFile and flushed before the frame is reported, so every frame the hub knows of
 * is readable even if the agent is killed next) and tells the hub only what each frame is
 * (number, time, shape), so pixels never cross the bus during the run. The hub's run documents
 * reference the file; it fetches the file in bounded chunks when someone downloads it (`readChunk`).
 */

/** What the hub learns of one frame (the pixels stay in the file, row `index` of `/data`). */
export interface FrameMeta {
  index: number;
  frameNumber: number;
  timestamp: number;
  width: number;
  height: number;
  bitDepth: number;
  exposureMs: number;
}

/** How an acquisition ended (the agent logs it). */
export interface AcquisitionEnded {
  acquisition: string;
  camera: string;
  file: string;
  frames: number;
  stopped: boolean;
  error: { code: string; message: string } | null;
}

interface Acquisition {
  id: string;
  /** The hub's run it acquires for (a restarted hub stops those of the runs it closed). */
  run: string;
  camera: string;
  file: string;
  frames: FrameMeta[];
  done: boolean;
  error: { code: string; message: string } | null;
  abort: AbortController;
  /** Woken when a frame is on disk or the acquisition ends (long polls wait on it). */
  waiters: (() => void)[];
  /** Settles once the acquisition has ended and its file is closed. */
  ended: Promise<AcquisitionEnded>;
}

/** Frames per `frames` reply at most, and the most bytes of one file chunk (JSON base64 stays under 1 MB). */
const MAX_FRAMES_PER_REPLY = 500;
export const MAX_CHUNK_BYTES = 384 * 1024;
/** Finished acquisitions kept for late polls. */
const KEEP_FINISHED = 16;

export const FRAMES_DIR = 'frames';

export class AgentAcquisitions {
  private readonly outputDir: string;
  private readonly acquisitions = new Map<string, Acquisition>();
  private readonly onEnd: (ended: AcquisitionEnded) => void;

  constructor(outputDir: string, onEnd: (ended: AcquisitionEnded) => void = () => {}) {
    this.outputDir = resolve(outputDir);
    this.onEnd = onEnd;
  }

  /** Starts acquiring into the run's file; returns at once with the file (relative to output_dir). */
  start(
    id: string,
    camera: string,
    source: FrameSource,
    run: string,
    request: Omit<FrameRequest, 'signal'>,
    /** Frames of this file the hub has counted: frames written after them (an agent killed mid-run) are dropped. */
    keepFrames = 0,
  ): { acquisition: string; file: string } {
    const existing = this.acquisitions.get(id);
    if (existing) return { acquisition: id, file: existing.file };
    const file = join(FRAMES_DIR, safe(run), `${safe(camera)}${FRAMES_FILE_SUFFIX}`);
    const started: Omit<Acquisition, 'ended'> = {
      id,
      run,
      camera,
      file,
      frames: [],
      done: false,
      error: null,
      abort: new AbortController(),
      waiters: [],
    };
    const acquisition = Object.assign(started, { ended: this.run(started, source, request, keepFrames) });
    this.acquisitions.set(id, acquisition);
    this.forgetOld();
    return { acquisition: id, file };
  }

  private async run(
    a: Omit<Acquisition, 'ended'>,
    source: FrameSource,
    request: Omit<FrameRequest, 'signal'>,
    keepFrames: number,
  ): Promise<AcquisitionEnded> {
    const path = join(this.outputDir, a.file);
    let file: CompressedFramesFile | null = null;
    try {
      mkdirSync(dirname(path), { recursive: true });
      for await (const frame of source.acquire({ ...request, signal: a.abort.signal })) {
        if (a.abort.signal.aborted) break;
        // A resumed step of the same run goes on after the frames the hub counted: row n of
        // the file stays the run's frame n even if frames were written but never reported.
        file ??= CompressedFramesFile.resume(path, framesFileOptions(frame), keepFrames);
        const row = keepFrames + a.frames.length;
        file.writeChunk(row, pixelBytes(frame, file));
        file.flush();
        a.frames.push({
          index: row,
          frameNumber: frame.frameNumber,
          timestamp: frame.timestamp,
          width: frame.width,
          height: frame.height,
          bitDepth: frame.bitDepth,
          exposureMs: frame.exposureMs,
        });
        this.wake(a);
        if (request.count !== undefined && a.frames.length >= request.count) break;
      }
      // Resumed without a new frame: the file still drops the frames the hub never counted.
      if (!file && keepFrames > 0 && existsSync(path)) file = resumeAsStored(path, keepFrames);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      a.error = {
        code: typeof e.code === 'string' ? e.code : 'INSTRUMENT_ERROR',
        message: e.message ?? String(error),
      };
    } finally {
      try {
        file?.close();
      } catch (error) {
        a.error ??= { code: 'STORAGE_ERROR', message: (error as Error).message };
      }
      a.done = true;
      this.wake(a);
    }
    const ended: AcquisitionEnded = {
      acquisition: a.id,
      camera: a.camera,
      file: a.file,
      frames: a.frames.length,
      stopped: a.abort.signal.aborted,
      error: a.error,
    };
    this.onEnd(ended);
    return ended;
  }

  /** The frames from `from` on, waiting up to `waitMs` for one if there is none yet. */
  async frames(
    id: string,
    from: number,
    waitMs: number,
  ): Promise<{ frames: FrameMeta[]; done: boolean; total: number; error: Acquisition['error'] }> {
    const a = this.acquisitions.get(id);
    if (!a)
      throw new BenchtopError('NOT_FOUND', `no acquisition ${id} on this agent (restarted since?)`, {
        acquisition: id,
      });
    if (a.frames.length <= from && !a.done) {
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, waitMs);
        a.waiters.push(() => {
          clearTimeout(timer);
          resolveWait();
        });
      });
    }
    return {
      frames: a.frames.slice(from, from + MAX_FRAMES_PER_REPLY),
      done: a.done,
      total: a.frames.length,
      error: a.error,
    };
  }

  /** The run stopped waiting (pause, abort): the camera stops. */
  stop(id: string): void {
    this.acquisitions.get(id)?.abort.abort();
  }

  /**
   * Stops every acquisition still running for one of `runs` (runs a restarted hub closed, whose
   * frames nobody will ever ask for) and resolves once each has closed its file.
   */
  async stopRuns(runs: readonly string[]): Promise<AcquisitionEnded[]> {
    const wanted = new Set(runs);
    const running = [...this.acquisitions.values()].filter((a) => !a.done && wanted.has(a.run));
    for (const a of running) a.abort.abort();
    return Promise.all(running.map((a) => a.ended));
  }

  stopAll(): void {
    for (const a of this.acquisitions.values()) if (!a.done) a.abort.abort();
  }

  /** Size of a frames file; only files under `<output_dir>/frames` are served. */
  async size(file: string): Promise<number> {
    return (await stat(this.confined(file))).size;
  }

  /** One bounded chunk of a frames file, base64 (a command reply is JSON). */
  async readChunk(file: string, offset: number, length: number): Promise<{ data: string; bytes: number }> {
    const handle = await open(this.confined(file), 'r');
    try {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, MAX_CHUNK_BYTES)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return { data: buffer.subarray(0, bytesRead).toString('base64'), bytes: bytesRead };
    } finally {
      await handle.close();
    }
  }

  private confined(file: string): string {
    const root = join(this.outputDir, FRAMES_DIR);
    const path = resolve(this.outputDir, file);
    if (!path.startsWith(root + sep) || relative(root, path).startsWith('..'))
      throw new BenchtopError('NOT_FOUND', `this agent serves only its frames files, not "${file}"`, {
        file,
      });
    return path;
  }

  private wake(a: Pick<Acquisition, 'waiters'>): void {
    for (const w of a.waiters.splice(0)) w();
  }

  private forgetOld(): void {
    const finished = [...this.acquisitions.values()].filter((a) => a.done);
    for (const a of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.acquisitions.delete(a.id);
  }
}

/** One uncompressed uint16 chunk per frame: any HDF5 reader (h5py, h5wasm, h5dump) reads it without filters. */
function framesFileOptions(frame: Pick<Frame, 'width' | 'height'>): CompressedFramesOptions {
  return { height: frame.height, width: frame.width, elementSize: 2, filters: [], directWrites: false };
}

/** The frame's pixels as one chunk; a colour frame or one of another shape is refused rather than garbling the file. */
function pixelBytes(frame: Frame, file: CompressedFramesFile): Uint8Array {
  const { pixels } = frame;
  if (frame.channels === 3 || pixels.length !== frame.width * frame.height)
    throw new BenchtopError('VALIDATION_FAILED', `${file.path}: agents store monochrome frames only`, {
      file: file.path,
    });
  const [height, width] = file.frameShape;
  if (frame.height !== height || frame.width !== width)
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `a ${frame.height}×${frame.width} frame for ${file.path}, whose frames are ${height}×${width}`,
      { file: file.path },
    );
  return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
}

/** Reopens a frames file at its own frame shape to drop the rows after `keepFrames`. */
function resumeAsStored(path: string, keepFrames: number): CompressedFramesFile {
  const reader = CompressedFramesReader.open(path, FRAMES_DATASET);
  const [, height, width] = reader.shape;
  reader.close();
  return CompressedFramesFile.resume(path, framesFileOptions({ height, width }), keepFrames);
}

/** A run uid or camera id as one path segment. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
}
