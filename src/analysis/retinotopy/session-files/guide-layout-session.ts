import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm, { type Dataset, type File } from 'h5wasm/node';
import { BenchtopError } from '../../../core/errors.ts';
import {
  DIRECTIONS,
  type Direction,
  type DirectionRecording,
  type FrameChunk,
} from '../direction-recording.ts';
import type { FrameData } from '../fourier-accumulator.ts';
import { sweepTimingFromStimulus } from './stimulus-sweeps.ts';

/**
 * A session directory in the imaging guide's layout: per direction `{dir}_camera.h5` (`frames`
 * T × H × W, `timestamps` µs) and `{dir}_stimulus.h5` (`timestamps` µs, `frame_indices`, `angles`
 * in degrees), plus `metadata.json`. Frames are read a slice at a time; the files stay open until
 * close().
 */
export interface GuideLayoutSession {
  recordings: Record<Direction, DirectionRecording>;
  metadata: Record<string, unknown>;
  close(): void;
}

function dataset(file: File, name: string, path: string): Dataset {
  const entity = file.get(name);
  if (!entity || !('shape' in entity)) {
    throw new BenchtopError('STORAGE_ERROR', `${path} has no dataset "${name}"`, { path, name });
  }
  return entity as Dataset;
}

function openReadOnly(path: string): File {
  if (!existsSync(path)) throw new BenchtopError('NOT_FOUND', `${path} does not exist`, { path });
  try {
    return new h5wasm.File(path, 'r');
  } catch (err) {
    throw new BenchtopError(
      'STORAGE_ERROR',
      `cannot open ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

export async function openGuideLayoutSession(dir: string): Promise<GuideLayoutSession> {
  const module = await h5wasm.ready;
  module.activate_throwing_error_handler();
  const files: File[] = [];
  const close = () => {
    for (const f of files) f.close();
  };
  try {
    const metadataPath = join(dir, 'metadata.json');
    const metadata = existsSync(metadataPath)
      ? (JSON.parse(readFileSync(metadataPath, 'utf8')) as Record<string, unknown>)
      : {};
    const recordings = {} as Record<Direction, DirectionRecording>;
    for (const direction of DIRECTIONS) {
      const cameraPath = join(dir, `${direction}_camera.h5`);
      const stimulusPath = join(dir, `${direction}_stimulus.h5`);
      const camera = openReadOnly(cameraPath);
      files.push(camera);
      const stimulus = openReadOnly(stimulusPath);
      files.push(stimulus);
      const frames = dataset(camera, 'frames', cameraPath);
      const shape = frames.shape ?? [];
      if (shape.length !== 3) {
        throw new BenchtopError('STORAGE_ERROR', `${cameraPath}: frames must be T × H × W, not [${shape}]`, {
          path: cameraPath,
          shape,
        });
      }
      const [count, height, width] = shape as [number, number, number];
      const stamps = dataset(camera, 'timestamps', cameraPath).value as ArrayLike<number | bigint>;
      if (stamps.length !== count) {
        throw new BenchtopError(
          'STORAGE_ERROR',
          `${cameraPath}: ${count} frames but ${stamps.length} timestamps`,
          {
            path: cameraPath,
          },
        );
      }
      const timing = sweepTimingFromStimulus(
        direction,
        dataset(stimulus, 'timestamps', stimulusPath).value as ArrayLike<number | bigint>,
        dataset(stimulus, 'frame_indices', stimulusPath).value as ArrayLike<number | bigint>,
        dataset(stimulus, 'angles', stimulusPath).value as ArrayLike<number>,
      );
      recordings[direction] = {
        direction,
        width,
        height,
        frameCount: count,
        timing,
        async readFrames(start: number, n: number): Promise<FrameChunk> {
          const data = frames.slice([[start, start + n], [], []]) as FrameData;
          const timestampsUs = Array.prototype.slice.call(stamps, start, start + n) as (number | bigint)[];
          return { frames: data, timestampsUs };
        },
      };
    }
    return { recordings, metadata, close };
  } catch (err) {
    close();
    throw err;
  }
}
