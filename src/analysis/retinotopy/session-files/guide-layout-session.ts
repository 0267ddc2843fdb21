import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, File } from 'h5wasm/node';
import { BenchtopError } from '../../../core/errors.ts';
import { frameFileOffsets } from '../../../storage/hdf5/frame-file-offsets.ts';
import type { AnatomicalSnapshot } from '../anatomical-on-grid.ts';
import {
  DIRECTIONS,
  type Direction,
  type DirectionRecording,
  type FrameChunk,
} from '../direction-recording.ts';
import type { FrameData } from '../fourier-accumulator.ts';
import { h5Ready, openH5File } from './h5-files.ts';
import { decodeNpy } from './npy-array.ts';
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
  /** The anatomical snapshot (`anatomical.npy`, a session file's `/anatomical`), when one was taken. */
  anatomical?: AnatomicalSnapshot;
  close(): void;
}

/** The guide's `anatomical.npy` in `dir` (float32 or uint16 [h, w]), when there is one. */
function readAnatomicalNpy(dir: string): AnatomicalSnapshot | undefined {
  const path = join(dir, 'anatomical.npy');
  if (!existsSync(path)) return undefined;
  let npy: ReturnType<typeof decodeNpy>;
  try {
    npy = decodeNpy(readFileSync(path));
  } catch (err) {
    throw new BenchtopError('STORAGE_ERROR', `${path}: ${(err as Error).message}`, { path });
  }
  if (npy.shape.length !== 2)
    throw new BenchtopError('STORAGE_ERROR', `${path} must be [h, w], not [${npy.shape}]`, { path });
  const [height, width] = npy.shape as [number, number];
  return { width, height, pixels: Float32Array.from(npy.data) };
}

function dataset(file: File, name: string, path: string): Dataset {
  const entity = file.get(name);
  if (!entity || !('shape' in entity)) {
    throw new BenchtopError('STORAGE_ERROR', `${path} has no dataset "${name}"`, { path, name });
  }
  return entity as Dataset;
}

/**
 * `directReads` (default on): when a camera file's frames lie whole in it (contiguous, or
 * unfiltered chunks of whole frames), the analysis workers read them there themselves; off, or
 * for any other layout, they are read through HDF5 (the same values either way).
 */
export async function openGuideLayoutSession(
  dir: string,
  { directReads = true }: { directReads?: boolean } = {},
): Promise<GuideLayoutSession> {
  await h5Ready();
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
      const camera = openH5File(cameraPath, 'r');
      files.push(camera);
      const stimulus = openH5File(stimulusPath, 'r');
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
      const located = directReads ? frameFileOffsets(cameraPath, 'frames') : null;
      const onDisk = located?.shape.join() === shape.join() ? located : null;
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
        ...(onDisk
          ? {
              framesInFile: {
                path: cameraPath,
                dtype: onDisk.element,
                offsets: onDisk.offsets,
                timestampsUs: stamps,
              },
            }
          : {}),
      };
    }
    const anatomical = readAnatomicalNpy(dir);
    return { recordings, metadata, ...(anatomical ? { anatomical } : {}), close };
  } catch (err) {
    close();
    throw err;
  }
}
