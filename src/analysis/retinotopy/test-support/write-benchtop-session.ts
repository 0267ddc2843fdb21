import type { PresentedStimulusFrame } from '../../../core/stimulus-frame.ts';
import { IsiSessionFile } from '../../../imaging/isi-session-file.ts';
import type { AnatomicalSnapshot } from '../anatomical-on-grid.ts';
import { DIRECTIONS, type Direction } from '../direction-recording.ts';
import type { SyntheticDirection } from './synthetic-session.ts';

/**
 * Writes a synthetic session as Benchtop records one (docs/isi-session-file.md), through the
 * recorder's own IsiSessionFile: every stimulus frame labelled with its sweep and phase, with a
 * second of background (baseline, NaN angle) presented before the first sweep of each direction;
 * with `anatomical`, the snapshot as /anatomical.
 */
export async function writeBenchtopSession(
  path: string,
  session: Record<Direction, SyntheticDirection>,
  anatomical?: AnatomicalSnapshot,
): Promise<void> {
  const file = await IsiSessionFile.create(path, {
    session: 'synthetic',
    camera: 'synthetic-camera',
    display: 'synthetic-display',
    startedAt: 1_000,
    parameters: { source: 'synthetic (retinotopy.md §4)' },
  });
  let index = 0;
  for (const d of DIRECTIONS) {
    const rec = session[d];
    const { timestampsUs, frameIndices, angles } = rec.stimulus;
    const frames: PresentedStimulusFrame[] = [];
    const firstMs = (timestampsUs[0] as number) / 1000;
    for (let k = 60; k > 0; k--) {
      frames.push({
        index: index++,
        direction: d,
        sweep: null,
        phase: 'baseline',
        barDeg: null,
        presentedAt: firstMs - (k / 60) * 1000,
      });
    }
    let sweep = 0;
    for (let k = 0; k < timestampsUs.length; k++) {
      if (k > 0 && (frameIndices[k] as number) < (frameIndices[k - 1] as number)) sweep++;
      frames.push({
        index: index++,
        direction: d,
        sweep,
        phase: 'sweep',
        barDeg: angles[k] as number,
        presentedAt: (timestampsUs[k] as number) / 1000,
      });
    }
    file.appendStimulusFrames(d, frames);
    const chunk = await rec.readFrames(0, rec.frameCount);
    const pixels = rec.width * rec.height;
    for (let k = 0; k < rec.frameCount; k++) {
      file.appendCameraFrame(d, {
        pixels: Uint16Array.from((chunk.frames as Uint16Array).subarray(k * pixels, (k + 1) * pixels)),
        width: rec.width,
        height: rec.height,
        frameNumber: k,
        timestamp: Number(chunk.timestampsUs[k]) / 1000,
        bitDepth: 16,
        exposureMs: 10,
      });
    }
  }
  if (anatomical)
    file.writeAnatomical({
      camera: 'synthetic-camera',
      frames: 4,
      capturedAt: 1_000,
      illumination: '',
      ...anatomical,
    });
  file.close({ stop_state: 'done', stop_reason: '' });
}
