import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm, { type Dataset } from 'h5wasm/node';
import { decodeNpy, encodeNpy } from '../analysis/retinotopy/session-files/npy-array.ts';
import type { Frame } from '../core/frame.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import { IsiSessionFile } from './isi-session-file.ts';
import { readSession, type SessionBlock } from './isi-session-reader.ts';

/**
 * The imaging guide's (KimLabISI's) session layout, a directory of:
 *   {DIR}_camera.h5    frames uint16 [n, h, w], timestamps int64 µs; attrs direction, camera_fps
 *                      (+ sequence int64: Benchtop's frame numbers, which the guide does not keep)
 *   {DIR}_stimulus.h5  timestamps int64 µs, frame_indices int32, angles float32
 *                      (+ sweeps int32, phases uint8: what the guide's events.json would hold)
 *   metadata.json      the session's attributes and parameters
 *   anatomical.npy     the anatomical snapshot, float32 [h, w] (NumPy's .npy), when one was taken
 * `exportGuideLayout` writes it from a session file, `importGuideLayout` makes a session file
 * of it; a round trip gives back the same datasets.
 */

const PHASES = ['baseline', 'sweep', 'gap'] as const;

function writeH5(
  path: string,
  datasets: Record<string, { data: ArrayBufferView; shape: number[]; dtype: string }>,
  attrs: Record<string, string | number>,
): void {
  const file = new h5wasm.File(path, 'w');
  try {
    for (const [name, d] of Object.entries(datasets))
      file.create_dataset({ name, data: d.data as unknown as Uint8Array, shape: d.shape, dtype: d.dtype });
    for (const [name, value] of Object.entries(attrs)) file.create_attribute(name, value);
  } finally {
    file.close();
  }
}

function cameraFps(timestamps: BigInt64Array): number {
  if (timestamps.length < 2) return 0;
  return ((timestamps.length - 1) * 1e6) / Number(timestamps[timestamps.length - 1]! - timestamps[0]!);
}

export async function exportGuideLayout(sessionPath: string, outDir: string): Promise<string[]> {
  await h5wasm.ready;
  const session = await readSession(sessionPath);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [dir, block] of Object.entries(session.directions)) {
    const n = block.camera.timestamps_us.length;
    const c = join(outDir, `${dir}_camera.h5`);
    writeH5(
      c,
      {
        frames: { data: block.camera.frames, shape: block.camera.shape, dtype: '<H' },
        timestamps: { data: block.camera.timestamps_us, shape: [n], dtype: '<q' },
        sequence: { data: block.camera.sequence, shape: [n], dtype: '<q' },
      },
      { direction: dir, camera_fps: cameraFps(block.camera.timestamps_us) },
    );
    const m = block.stimulus.timestamps_us.length;
    const s = join(outDir, `${dir}_stimulus.h5`);
    writeH5(
      s,
      {
        timestamps: { data: block.stimulus.timestamps_us, shape: [m], dtype: '<q' },
        frame_indices: { data: block.stimulus.frame_indices, shape: [m], dtype: '<i' },
        angles: { data: block.stimulus.angles, shape: [m], dtype: '<f' },
        sweeps: { data: block.stimulus.sweeps, shape: [m], dtype: '<i' },
        phases: { data: block.stimulus.phases, shape: [m], dtype: '<B' },
      },
      { direction: dir },
    );
    written.push(c, s);
  }
  const meta = join(outDir, 'metadata.json');
  const anatomical = session.anatomical;
  writeFileSync(
    meta,
    `${JSON.stringify({ ...session.attrs, directions: Object.keys(session.directions), parameters: session.parameters, ...(anatomical ? { anatomical: anatomical.attrs } : {}) }, null, 2)}\n`,
  );
  written.push(meta);
  if (anatomical) {
    const npy = join(outDir, 'anatomical.npy');
    writeFileSync(
      npy,
      encodeNpy({ dtype: '<f4', shape: [anatomical.height, anatomical.width], data: anatomical.pixels }),
    );
    written.push(npy);
  }
  return written;
}

/** Every dataset of a guide file, values read and the file closed. */
function readH5(path: string): Record<string, { value: unknown; shape: number[] }> {
  const file = new h5wasm.File(path, 'r');
  try {
    const out: Record<string, { value: unknown; shape: number[] }> = {};
    for (const key of file.keys()) {
      const d = file.get(key) as Dataset;
      out[key] = { value: d.value, shape: d.shape ?? [] };
    }
    return out;
  } finally {
    file.close();
  }
}

export async function importGuideLayout(inDir: string, sessionPath: string): Promise<void> {
  const m = await h5wasm.ready;
  m.activate_throwing_error_handler();
  const meta = JSON.parse(readFileSync(join(inDir, 'metadata.json'), 'utf8')) as {
    session: string;
    camera: string;
    display: string;
    started_at: string;
    stop_reason?: string;
    directions: string[];
    parameters: Record<string, unknown>;
    anatomical?: Record<string, string | number>;
  };
  const file = await IsiSessionFile.create(sessionPath, {
    session: meta.session,
    camera: meta.camera,
    display: meta.display,
    startedAt: Date.parse(meta.started_at),
    parameters: meta.parameters,
  });
  for (const dir of meta.directions) {
    const camera = readH5(join(inDir, `${dir}_camera.h5`));
    const frames = camera.frames!.value as Uint16Array;
    const [n, height, width] = camera.frames!.shape as [number, number, number];
    const ts = camera.timestamps!.value as BigInt64Array;
    const seq = camera.sequence ? (camera.sequence.value as BigInt64Array) : null;
    for (let i = 0; i < n; i++) {
      const frame: Frame = {
        pixels: frames.subarray(i * height * width, (i + 1) * height * width),
        width,
        height,
        frameNumber: seq ? Number(seq[i]) : i + 1,
        timestamp: Number(ts[i]!) / 1000,
        bitDepth: 16,
        exposureMs: 0,
      };
      file.appendCameraFrame(dir, frame);
    }
    const stim = readH5(join(inDir, `${dir}_stimulus.h5`));
    const sts = stim.timestamps!.value as BigInt64Array;
    const idx = stim.frame_indices!.value as Int32Array;
    const angles = stim.angles!.value as Float32Array;
    const sweeps = stim.sweeps ? (stim.sweeps.value as Int32Array) : null;
    const phases = stim.phases ? (stim.phases.value as Uint8Array) : null;
    const presented: PresentedStimulusFrame[] = Array.from(idx, (index, i) => ({
      index,
      direction: dir as PresentedStimulusFrame['direction'],
      sweep: sweeps && sweeps[i]! >= 0 ? sweeps[i]! : null,
      phase: phases ? PHASES[phases[i]!]! : Number.isNaN(angles[i]!) ? 'baseline' : 'sweep',
      barDeg: Number.isNaN(angles[i]!) ? null : angles[i]!,
      presentedAt: Number(sts[i]!) / 1000,
    }));
    file.appendStimulusFrames(dir, presented);
  }
  const npyPath = join(inDir, 'anatomical.npy');
  if (existsSync(npyPath)) {
    const npy = decodeNpy(readFileSync(npyPath));
    const [height, width] = npy.shape as [number, number];
    const a = meta.anatomical ?? {};
    file.writeAnatomical({
      camera: String(a.camera ?? meta.camera),
      width,
      height,
      frames: Number(a.frames_averaged ?? 1),
      capturedAt: a.captured_at ? Date.parse(String(a.captured_at)) : Date.parse(meta.started_at),
      illumination: String(a.illumination ?? ''),
      pixels: npy.dtype === '<f4' ? npy.data : Float32Array.from(npy.data),
    });
  }
  file.close({ stop_reason: meta.stop_reason ?? 'imported', imported_from: inDir });
}

export type { SessionBlock };
