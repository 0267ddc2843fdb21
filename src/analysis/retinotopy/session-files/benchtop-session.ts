import h5wasm, { type Dataset } from 'h5wasm/node';
import { BenchtopError } from '../../../core/errors.ts';
import { frameFileOffsets } from '../../../storage/hdf5/frame-file-offsets.ts';
import {
  DIRECTIONS,
  type Direction,
  type DirectionRecording,
  type FrameChunk,
} from '../direction-recording.ts';
import type { FrameData } from '../fourier-accumulator.ts';
import type { SweepTiming } from '../sweep-timing.ts';
import type { GuideLayoutSession } from './guide-layout-session.ts';
import { h5Ready, openH5File } from './h5-files.ts';
import { median } from './stimulus-sweeps.ts';

/** docs/isi-session-file.md: phases column, 1 = a sweep frame (0 baseline, 2 gap). */
const SWEEP_PHASE = 1;

/**
 * Sweep timing from Benchtop's own stimulus record, which labels every presented frame with its
 * sweep number and phase (baselines and gaps included, angles NaN there): each sweep's first and
 * last sweep-phase frame give S, E and T_s; T is the median spacing of sweep starts.
 */
export function sweepTimingFromLabelledStimulus(
  direction: string,
  timestampsUs: ArrayLike<number | bigint>,
  angles: ArrayLike<number>,
  sweeps: ArrayLike<number>,
  phases: ArrayLike<number>,
): SweepTiming {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (let k = 0; k < timestampsUs.length; k++) {
    const sweep = sweeps[k] as number;
    if (phases[k] !== SWEEP_PHASE || sweep < 0) continue;
    if (!first.has(sweep)) first.set(sweep, k);
    last.set(sweep, k);
  }
  const order = [...first.keys()].sort((a, b) => a - b);
  if (order.length === 0) {
    throw new BenchtopError('VALUE_INVALID', `${direction}: the session holds no presented sweep`, {
      direction,
    });
  }
  const at = (k: number) => Number(timestampsUs[k]);
  const k0 = first.get(order[0] as number) as number;
  const k1 = last.get(order[0] as number) as number;
  const sweepS = (at(k1) - at(k0)) / 1e6;
  const starts = order.map((s) => at(first.get(s) as number));
  const spacings = starts.slice(1).map((t, i) => (t - (starts[i] as number)) / 1e6);
  const periodS = spacings.length > 0 ? median(spacings) : sweepS;
  if (!(sweepS > 0) || !(periodS >= sweepS * 0.999)) {
    throw new BenchtopError(
      'VALUE_INVALID',
      `${direction}: sweeps of ${sweepS} s every ${periodS} s cannot be analysed`,
      {
        direction,
        sweepS,
        periodS,
      },
    );
  }
  return {
    startUs: at(k0),
    periodS,
    sweepS: Math.min(sweepS, periodS),
    cycles: order.length,
    startDeg: angles[k0] as number,
    endDeg: angles[k1] as number,
  };
}

/**
 * A session file Benchtop recorded (docs/isi-session-file.md): one HDF5 file with a block per
 * direction. Frames are read a slice at a time; the file stays open until close().
 *
 * `directReads` (default on): the recorder writes frames uncompressed, one a chunk, so the
 * analysis workers read them straight from the file (frameFileOffsets follows the SWMR format's
 * extensible array chunk index); off, or when a direction's frames cannot be found that way (a
 * chunk not written yet, another layout), they are read through HDF5. Same values either way.
 */
export async function openBenchtopSession(
  path: string,
  { directReads = true }: { directReads?: boolean } = {},
): Promise<GuideLayoutSession> {
  await h5Ready();
  const file = openH5File(path, 'r');
  try {
    if (file.attrs.format?.value !== 'benchtop-isi-session') {
      throw new BenchtopError(
        'VALUE_INVALID',
        `${path} is not a Benchtop ISI session file (format attribute)`,
        {
          path,
        },
      );
    }
    const dataset = (name: string): Dataset => {
      const entity = file.get(name);
      if (!(entity instanceof h5wasm.Dataset)) {
        throw new BenchtopError('STORAGE_ERROR', `${path} has no dataset "${name}"`, { path, name });
      }
      return entity;
    };
    const parameters = file.get('/parameters');
    const metadata =
      parameters instanceof h5wasm.Dataset
        ? (JSON.parse(String(parameters.value)) as Record<string, unknown>)
        : {};
    const recordings = {} as Record<Direction, DirectionRecording>;
    for (const direction of DIRECTIONS) {
      const frames = dataset(`/${direction}/camera/frames`);
      const [count, height, width] = frames.shape as [number, number, number];
      const stamps = dataset(`/${direction}/camera/timestamps_us`).value as BigInt64Array;
      const stimulus = (name: string) => dataset(`/${direction}/stimulus/${name}`).value;
      const timing = sweepTimingFromLabelledStimulus(
        direction,
        stimulus('timestamps_us') as BigInt64Array,
        stimulus('angles') as Float32Array,
        stimulus('sweeps') as Int32Array,
        stimulus('phases') as Uint8Array,
      );
      const located = directReads ? frameFileOffsets(path, `/${direction}/camera/frames`) : null;
      // A file still being recorded may have grown since h5wasm looked: only the same frames.
      const onDisk = located?.shape.join() === frames.shape?.join() ? located : null;
      recordings[direction] = {
        direction,
        width,
        height,
        frameCount: count,
        timing,
        async readFrames(start: number, n: number): Promise<FrameChunk> {
          const data = frames.slice([[start, start + n], [], []]) as FrameData;
          return { frames: data, timestampsUs: stamps.subarray(start, start + n) };
        },
        ...(onDisk
          ? {
              framesInFile: { path, dtype: onDisk.element, offsets: onDisk.offsets, timestampsUs: stamps },
            }
          : {}),
      };
    }
    const snapshot = file.get('/anatomical');
    const anatomical =
      snapshot instanceof h5wasm.Dataset && snapshot.shape?.length === 2
        ? {
            height: snapshot.shape[0] as number,
            width: snapshot.shape[1] as number,
            pixels: Float32Array.from(snapshot.value as ArrayLike<number>),
          }
        : undefined;
    return { recordings, metadata, ...(anatomical ? { anatomical } : {}), close: () => file.close() };
  } catch (err) {
    file.close();
    throw err;
  }
}
