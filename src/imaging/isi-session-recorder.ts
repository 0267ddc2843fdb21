import type { EventBus } from '../core/bus.ts';
import { cameraCapability } from '../core/capabilities.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Frame } from '../core/frame.ts';
import type { Instrument } from '../core/instrument.ts';
import type { PresentedStimulusFrame } from '../core/stimulus-frame.ts';
import type { AnatomicalImage } from './anatomical-image.ts';
import { IsiSessionWriter } from './isi-session-writer.ts';
import { estimateLatency, type Flip, patchLevel, type Sample } from './photodiode-latency.ts';

function splitSignal(name: string): { instrument: string; signal: string } {
  const dot = name.indexOf('.');
  return { instrument: name.slice(0, dot), signal: name.slice(dot + 1) };
}

/**
 * Records one intrinsic-imaging session: starts the camera's live stream (by its camera
 * capability, so any Benchtop camera), starts the stimulus display's run, and writes every
 * camera frame and every presented stimulus frame into one session file, both on the server's
 * clock. A camera frame belongs to the direction block of the stimulus frame on screen when it
 * was exposed, so camera frames wait (in memory, copied) until the page's reports cover their
 * time. Frames before the first stimulus frame are not kept (counted). The session ends when the
 * display's run ends (done, stalled or stopped) or the camera's actor leaves `ready`; the
 * reason is in the file. The file is written on a worker thread (IsiSessionWriter) and flushed
 * every `flushEveryFrames` camera frames, so playback can follow a session being recorded.
 */

export interface IsiSessionRequest {
  session: string;
  camera: Instrument;
  display: Instrument;
  bus: EventBus<BenchtopEvents>;
  path: string;
  /** Seconds between the request and the first stimulus frame (the camera is streaming by then). */
  leadS?: number;
  /** When the session started, server clock ms (the file's started_at). */
  startedAt: number;
  /** The anatomical snapshot to store, asked for when the session ends (the latest taken by then). */
  anatomical?: () => AnatomicalImage | null;
  /** Camera frames between SWMR flushes (what a reader of the growing file sees); default 30. */
  flushEveryFrames?: number;
  /** Sees the session as it is written (the online maps); its errors never stop the recording. */
  observer?: IsiSessionObserver;
}

/**
 * What follows a session while it is recorded. `cameraFrame` is called with each camera frame
 * going into the file, in order, just before its pixel buffer is handed to the writer's thread:
 * an observer that keeps the pixels copies them before it returns.
 */
export interface IsiSessionObserver {
  begin(schedule: ScheduleSummary): void;
  stimulusFrames(block: string, frames: readonly PresentedStimulusFrame[]): void;
  cameraFrame(block: string, frame: Frame): void;
  /** The recording has ended (the file is closed). */
  end(): Promise<void>;
}

export interface IsiSessionResult {
  path: string;
  state: 'done' | 'stalled' | 'stopped' | 'camera_lost';
  reason: string | null;
  cameraFrames: number;
  cameraFramesBeforeStart: number;
  cameraFramesAfterEnd: number;
  /** Gaps in the camera's frame numbers: frames it exposed but never delivered. */
  cameraFramesLost: number;
  /** Frames the writer refused because its queue was full (the disk fell behind). */
  cameraFramesRefused: number;
  stimulusFrames: number;
  /** Measured by the display's photodiode and applied to the stimulus times; null without one. */
  presentationLatencyMs: number | null;
  directions: Record<string, { cameraFrames: number; stimulusFrames: number }>;
}

export interface ScheduleSummary {
  problems: string[];
  refresh_hz: number;
  frame_count: number;
  segments: { phase: string; direction: string | null; startFrame: number; frames: number }[];
}

/** Direction block of every schedule index: a baseline goes with the direction after it (the last with the final one). */
function blocksOf(schedule: ScheduleSummary): string[] {
  const blocks = new Array<string>(schedule.frame_count);
  const segments = schedule.segments;
  const last = [...segments].reverse().find((s) => s.direction)?.direction ?? 'LR';
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const block = s.direction ?? segments.slice(i + 1).find((n) => n.direction)?.direction ?? last;
    blocks.fill(block, s.startFrame, s.startFrame + s.frames);
  }
  return blocks;
}

export async function recordIsiSession(request: IsiSessionRequest): Promise<IsiSessionResult> {
  const { camera, display, bus } = request;
  const role = cameraCapability(camera.describe().capabilities);
  const startLive = role?.actions.start_live;
  const stopLive = role?.actions.stop_live;
  if (!startLive || !stopLive)
    throw new BenchtopError(
      'VALUE_INVALID',
      `${camera.id} is not a camera with live streaming (start_live/stop_live)`,
      {
        instrument: camera.id,
      },
    );
  const schedule = (await display.call('schedule', {})) as ScheduleSummary;
  if (schedule.problems.length > 0)
    throw new BenchtopError(
      'VALUE_INVALID',
      `${display.id}: the protocol cannot run: ${schedule.problems.join('; ')}`,
      {
        instrument: display.id,
        problems: schedule.problems,
      },
    );
  const { protocol, photodiode } = (await display.call('protocol', {})) as {
    protocol: unknown;
    photodiode?: { signal: string; threshold: number | null } | null;
  };
  const blocks = blocksOf(schedule);
  const observer = request.observer;
  /** An observer's failure is logged by its owner, never the recording's. */
  const observe = (f: (o: IsiSessionObserver) => void) => {
    if (!observer) return;
    try {
      f(observer);
    } catch {
      // The file is the record; the online maps are a view of it.
    }
  };
  observe((o) => o.begin(schedule));
  const file = await IsiSessionWriter.create(request.path, {
    session: request.session,
    camera: camera.id,
    display: display.id,
    startedAt: request.startedAt,
    parameters: {
      protocol,
      schedule,
      camera: {
        id: camera.id,
        type: camera.type,
        readings: camera.lastReadings().map((r) => [r.signal, r.value]),
      },
    },
  });

  const result: IsiSessionResult = {
    path: request.path,
    state: 'done',
    reason: null,
    cameraFrames: 0,
    cameraFramesBeforeStart: 0,
    cameraFramesAfterEnd: 0,
    cameraFramesLost: 0,
    cameraFramesRefused: 0,
    stimulusFrames: 0,
    presentationLatencyMs: null,
    directions: {},
  };
  const count = (dir: string) => {
    result.directions[dir] ??= { cameraFrames: 0, stimulusFrames: 0 };
    return result.directions[dir];
  };
  // Presented frames so far (times and blocks), to place camera frames.
  const shownAt: number[] = [];
  const shownBlock: string[] = [];
  const pending: Frame[] = [];
  let lastSequence = -1;
  let run: string | null = null;
  const { promise: ended, resolve: end } = Promise.withResolvers<void>();
  let finished = false;
  const periodMs = 1000 / schedule.refresh_hz;
  const flushEvery = request.flushEveryFrames ?? 30;

  /** The block of the stimulus frame on screen at `t`, or null before the first. */
  const blockAt = (t: number): string | null => {
    let lo = 0;
    let hi = shownAt.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (shownAt[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : shownBlock[found]!;
  };

  /** Writes the waiting camera frames the reports now cover (all of them once `final`). */
  const drain = (final: boolean) => {
    const covered = shownAt.length > 0 ? shownAt[shownAt.length - 1]! : Number.NEGATIVE_INFINITY;
    while (pending.length > 0 && (final || pending[0]!.timestamp <= covered)) {
      const frame = pending.shift()!;
      if (frame.timestamp > covered + periodMs) {
        result.cameraFramesAfterEnd++;
        continue;
      }
      const block = blockAt(frame.timestamp);
      if (block === null) {
        result.cameraFramesBeforeStart++;
        continue;
      }
      if (lastSequence >= 0 && frame.frameNumber > lastSequence + 1)
        result.cameraFramesLost += frame.frameNumber - lastSequence - 1;
      lastSequence = frame.frameNumber;
      observe((o) => o.cameraFrame(block, frame));
      // The pending copy is ours: its buffer goes to the writer's thread.
      if (!file.appendCameraFrame(block, frame)) {
        result.cameraFramesRefused++;
        continue;
      }
      result.cameraFrames++;
      count(block).cameraFrames++;
      if (result.cameraFrames % flushEvery === 0) file.flush().catch(() => undefined);
    }
  };

  const finish = (state: IsiSessionResult['state'], reason: string | null) => {
    if (finished) return;
    finished = true;
    result.state = state;
    result.reason = reason;
    end();
  };

  // The photodiode's samples and the patch's reported flips, for the presentation latency.
  const samples: Sample[] = [];
  const flips: Flip[] = [];
  const diode = photodiode ? splitSignal(photodiode.signal) : null;
  const offs = [
    bus.on('instrument.reading', (r) => {
      if (
        diode &&
        r.instrument === diode.instrument &&
        r.signal === diode.signal &&
        typeof r.value === 'number'
      )
        samples.push({ t: r.timestamp, v: r.value });
    }),
    bus.on('camera.frame', ({ instrument, frame }) => {
      if (instrument !== camera.id || finished) return;
      // The camera may reuse the buffer, and other listeners see this frame after us: keep a
      // copy (in a buffer the writer gave back), whose buffer is then transferred to the writer.
      pending.push({ ...frame, pixels: file.copyPixels(frame.pixels) });
      drain(false);
    }),
    bus.on('stimulus.frames', (e) => {
      if (e.display !== display.id || e.run !== run || finished) return;
      let group: PresentedStimulusFrame[] = [];
      let groupBlock = '';
      const flush = () => {
        if (group.length === 0) return;
        const frames = group;
        observe((o) => o.stimulusFrames(groupBlock, frames));
        file.appendStimulusFrames(groupBlock, group);
        count(groupBlock).stimulusFrames += group.length;
        result.stimulusFrames += group.length;
        group = [];
      };
      for (const f of e.frames) {
        const block = blocks[f.index]!;
        if (block !== groupBlock) flush();
        groupBlock = block;
        group.push(f);
        shownAt.push(f.presentedAt);
        shownBlock.push(block);
        if (diode) flips.push({ t: f.presentedAt, level: patchLevel(f.index) });
      }
      flush();
      drain(false);
    }),
    bus.on('stimulus.run', (e) => {
      if (e.display !== display.id || e.run !== run) return;
      if (e.state === 'done' || e.state === 'stalled' || e.state === 'stopped') finish(e.state, e.reason);
    }),
    bus.on('actor.state', (e) => {
      if (e.id === camera.id && e.state !== 'ready')
        finish('camera_lost', `camera ${camera.id} went ${e.state}${e.error ? `: ${e.error.message}` : ''}`);
    }),
  ];
  try {
    await camera.call(startLive, {});
    const started = (await display.call('start', { lead_s: request.leadS ?? 1 })) as { id: string };
    run = started.id;
    await ended;
    if (result.state === 'camera_lost') await display.call('stop', {}).catch(() => undefined);
  } catch (error) {
    finish('stopped', error instanceof Error ? error.message : String(error));
  } finally {
    for (const off of offs) off();
    await camera.call(stopLive, {}).catch(() => undefined);
    drain(true);
    const latency = diode
      ? estimateLatency(
          samples,
          flips,
          photodiode?.threshold == null ? {} : { threshold: photodiode.threshold },
        )
      : null;
    if (latency) file.applyPresentationLatency(latency.latencyMs);
    result.presentationLatencyMs = latency?.latencyMs ?? null;
    const anatomical = request.anatomical?.() ?? null;
    if (anatomical) file.writeAnatomical(anatomical);
    await file.close({
      stop_state: result.state,
      stop_reason: result.reason ?? result.state,
      camera_frames: result.cameraFrames,
      camera_frames_lost: result.cameraFramesLost,
      camera_frames_refused: result.cameraFramesRefused,
      stimulus_frames: result.stimulusFrames,
      ...(photodiode
        ? {
            photodiode_signal: photodiode.signal,
            photodiode_samples: samples.length,
            photodiode_transitions: latency?.transitions ?? 0,
            // NaN: configured, but its signal showed no transitions to measure.
            presentation_latency_ms: latency?.latencyMs ?? Number.NaN,
            presentation_latency_spread_ms: latency?.spreadMs ?? Number.NaN,
          }
        : {}),
    });
    await observer?.end().catch(() => undefined);
  }
  return result;
}
