import type { EventBus } from '../core/bus.ts';
import { cameraCapability } from '../core/capabilities.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';

/** The anatomical snapshot: the mean of a few camera frames, float32 counts, row-major. */
export interface AnatomicalImage {
  camera: string;
  width: number;
  height: number;
  /** Frames averaged. */
  frames: number;
  /** Server clock, ms since the epoch: the last frame's timestamp. */
  capturedAt: number;
  /** The illumination signal switched on for it ("instrument.signal"), or "". */
  illumination: string;
  pixels: Float32Array;
}

export interface AnatomicalRequest {
  camera: Instrument;
  instruments: InstrumentDirectory;
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  frames: number;
  /** "instrument.signal" set to `illuminationOn` while the frames are taken, then put back; "" = none. */
  illumination: string;
  illuminationOn: number | boolean;
  /** Give up when the frames have not arrived in this long. */
  timeoutMs: number;
}

/**
 * The guide's "anatomical image under green light": the vasculature the maps are drawn on. It is
 * the camera's picture of the cortex (no stimulus), averaged over `frames` frames to lower the
 * noise, with the rig's illumination (any writable signal, e.g. a green LED's output) switched on
 * for it when one is configured. A camera that is not streaming is started and stopped again; a
 * live one (preview, a recording) keeps streaming and its next frames are used.
 */
export async function captureAnatomical(request: AnatomicalRequest): Promise<AnatomicalImage> {
  const { camera, bus } = request;
  const role = cameraCapability(camera.describe().capabilities);
  const startLive = role?.actions.start_live;
  const stopLive = role?.actions.stop_live;
  if (!startLive || !stopLive)
    throw new BenchtopError('VALUE_INVALID', `${camera.id} is not a camera with live streaming`, {
      instrument: camera.id,
    });
  const acquiringSignal = role.signals.acquiring;
  const live = acquiringSignal ? (await camera.read(acquiringSignal)).value === true : false;
  const light = request.illumination ? illuminationOf(request) : null;
  const before = light ? (await light.instrument.read(light.signal)).value : null;
  let sum: Float64Array | null = null;
  let width = 0;
  let height = 0;
  let taken = 0;
  let capturedAt = 0;
  const { promise: collected, resolve, reject } = Promise.withResolvers<void>();
  const off = bus.on('camera.frame', ({ instrument, frame }) => {
    if (instrument !== camera.id || taken >= request.frames) return;
    if (!sum) {
      width = frame.width;
      height = frame.height;
      sum = new Float64Array(width * height);
    }
    if (frame.width !== width || frame.height !== height) {
      reject(new BenchtopError('INSTRUMENT_ERROR', `${camera.id} changed its frame size while averaging`));
      return;
    }
    const px = frame.pixels;
    for (let i = 0; i < sum.length; i++) sum[i]! += px[i]!;
    taken++;
    capturedAt = frame.timestamp;
    if (taken === request.frames) resolve();
  });
  const timer = request.clock.setTimeout(
    () =>
      reject(
        new BenchtopError(
          'INSTRUMENT_TIMEOUT',
          `${camera.id}: ${taken} of ${request.frames} frames in ${request.timeoutMs} ms for the anatomical image`,
          { instrument: camera.id },
        ),
      ),
    request.timeoutMs,
  );
  try {
    if (light) await light.instrument.write(light.signal, request.illuminationOn);
    if (!live) await camera.call(startLive, {});
    await collected;
  } finally {
    timer.cancel();
    off();
    if (!live) await camera.call(stopLive, {}).catch(() => undefined);
    if (light && before !== null) await light.instrument.write(light.signal, before).catch(() => undefined);
  }
  const total = sum as Float64Array | null;
  if (!total) throw new BenchtopError('INSTRUMENT_ERROR', `${camera.id}: no frame`);
  const pixels = new Float32Array(total.length);
  for (let i = 0; i < total.length; i++) pixels[i] = total[i]! / taken;
  return {
    camera: camera.id,
    width,
    height,
    frames: taken,
    capturedAt,
    illumination: request.illumination,
    pixels,
  };
}

function illuminationOf(request: AnatomicalRequest): { instrument: Instrument; signal: string } {
  const dot = request.illumination.indexOf('.');
  if (dot <= 0)
    throw new BenchtopError(
      'VALUE_INVALID',
      `illumination "${request.illumination}": expected instrument.signal`,
      { illumination: request.illumination },
    );
  return {
    instrument: request.instruments.get(request.illumination.slice(0, dot)),
    signal: request.illumination.slice(dot + 1),
  };
}
