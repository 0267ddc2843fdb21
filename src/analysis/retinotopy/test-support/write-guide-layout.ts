import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { DIRECTIONS, type Direction } from '../direction-recording.ts';
import type { SyntheticDirection } from './synthetic-session.ts';

/** Writes a synthetic session as the imaging guide lays one out (uint16 frames, int64 µs stamps). */
export async function writeGuideLayoutSession(
  dir: string,
  session: Record<Direction, SyntheticDirection>,
): Promise<void> {
  const module = await h5wasm.ready;
  module.activate_throwing_error_handler();
  for (const d of DIRECTIONS) {
    const rec = session[d];
    const chunk = await rec.readFrames(0, rec.frameCount);
    const camera = new h5wasm.File(join(dir, `${d}_camera.h5`), 'w');
    camera.create_dataset({
      name: 'frames',
      data: Uint16Array.from(chunk.frames as ArrayLike<number>),
      shape: [rec.frameCount, rec.height, rec.width],
      dtype: '<H',
    });
    camera.create_dataset({
      name: 'timestamps',
      data: BigInt64Array.from(Array.from(chunk.timestampsUs, (t) => BigInt(Math.round(Number(t))))),
      shape: [rec.frameCount],
      dtype: '<q',
    });
    camera.create_attribute('direction', d);
    camera.close();
    const stimulus = new h5wasm.File(join(dir, `${d}_stimulus.h5`), 'w');
    const n = rec.stimulus.timestampsUs.length;
    stimulus.create_dataset({
      name: 'timestamps',
      data: BigInt64Array.from(Array.from(rec.stimulus.timestampsUs, (t) => BigInt(Math.round(t)))),
      shape: [n],
      dtype: '<q',
    });
    stimulus.create_dataset({
      name: 'frame_indices',
      data: rec.stimulus.frameIndices,
      shape: [n],
      dtype: '<i4',
    });
    stimulus.create_dataset({ name: 'angles', data: rec.stimulus.angles, shape: [n], dtype: '<f4' });
    stimulus.close();
  }
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ source: 'synthetic (retinotopy.md §4)' }));
}
