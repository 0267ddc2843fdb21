import h5wasm, { type Dataset } from 'h5wasm/node';

/** A session file read back whole (tests, export; a long session's playback reads slices). */
export interface SessionBlock {
  camera: {
    frames: Uint16Array;
    shape: [number, number, number];
    timestamps_us: BigInt64Array;
    sequence: BigInt64Array;
  };
  stimulus: {
    timestamps_us: BigInt64Array;
    frame_indices: Int32Array;
    angles: Float32Array;
    sweeps: Int32Array;
    phases: Uint8Array;
  };
}

export interface SessionContents {
  attrs: Record<string, string | number>;
  parameters: Record<string, unknown>;
  directions: Record<string, SessionBlock>;
  /** The anatomical snapshot, float32 [height, width], with its attributes; null when none was taken. */
  anatomical: {
    pixels: Float32Array;
    width: number;
    height: number;
    attrs: Record<string, string | number>;
  } | null;
}

const DIRECTIONS = ['LR', 'RL', 'TB', 'BT'];

export async function readSession(path: string): Promise<SessionContents> {
  const m = await h5wasm.ready;
  m.activate_throwing_error_handler();
  // SWMR read: a session still being written (flushed so far) opens as well as a closed one.
  const file = new h5wasm.File(path, 'Sr');
  try {
    const dataset = (p: string) => {
      const d = file.get(p);
      if (!(d instanceof h5wasm.Dataset)) throw new Error(`${path}: no dataset ${p}`);
      return d as Dataset;
    };
    const attrs = Object.fromEntries(
      // Integer attributes come back as int64 (BigInt): all of ours fit a number.
      Object.entries(file.attrs).map(([k, a]) => [
        k,
        typeof a.value === 'bigint' ? Number(a.value) : (a.value as string | number),
      ]),
    );
    const parameters = JSON.parse(String(dataset('/parameters').value)) as Record<string, unknown>;
    const directions: Record<string, SessionBlock> = {};
    for (const dir of DIRECTIONS) {
      if (!file.get(`/${dir}`)) continue;
      const hasFrames = file.get(`/${dir}/camera/frames`) !== null;
      const frames = hasFrames ? dataset(`/${dir}/camera/frames`) : null;
      directions[dir] = {
        camera: {
          frames: frames ? (frames.value as Uint16Array) : new Uint16Array(0),
          shape: frames ? (frames.shape as [number, number, number]) : [0, 0, 0],
          timestamps_us: dataset(`/${dir}/camera/timestamps_us`).value as BigInt64Array,
          sequence: dataset(`/${dir}/camera/sequence`).value as BigInt64Array,
        },
        stimulus: {
          timestamps_us: dataset(`/${dir}/stimulus/timestamps_us`).value as BigInt64Array,
          frame_indices: dataset(`/${dir}/stimulus/frame_indices`).value as Int32Array,
          angles: dataset(`/${dir}/stimulus/angles`).value as Float32Array,
          sweeps: dataset(`/${dir}/stimulus/sweeps`).value as Int32Array,
          phases: dataset(`/${dir}/stimulus/phases`).value as Uint8Array,
        },
      };
    }
    const a = file.get('/anatomical');
    const anatomical =
      a instanceof h5wasm.Dataset
        ? {
            pixels: a.value as Float32Array,
            height: a.shape![0]!,
            width: a.shape![1]!,
            attrs: Object.fromEntries(
              Object.entries(a.attrs).map(([k, v]) => [
                k,
                typeof v.value === 'bigint' ? Number(v.value) : (v.value as string | number),
              ]),
            ),
          }
        : null;
    return { attrs, parameters, directions, anatomical };
  } finally {
    file.close();
  }
}
