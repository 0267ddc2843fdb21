import { cameraCapability } from '../core/capabilities.ts';
import { BenchtopError } from '../core/errors.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { IsiParameterStore } from './isi-parameters.ts';
import type { IsiSessionService } from './isi-session-service.ts';

/**
 * The imaging guide's command set (its backend's IPC commands) mapped onto what Benchtop has:
 * instruments by capability, the session service, the parameter store. Each takes the
 * command's parameters object and answers a JSON object; anything it cannot do is refused with
 * a BenchtopError rather than pretended.
 */
export interface IsiCommandContext {
  service: IsiSessionService;
  instruments: InstrumentDirectory;
  parameters: IsiParameterStore;
  now: () => number;
}

type Params = Record<string, unknown>;
type Handler = (ctx: IsiCommandContext, params: Params) => Promise<unknown> | unknown;

const str = (params: Params, key: string, fallback?: string): string => {
  const v = params[key] ?? fallback;
  if (typeof v !== 'string' || v === '')
    throw new BenchtopError('VALIDATION_FAILED', `parameter ${key} (a string) is required`, {
      parameter: key,
    });
  return v;
};

const cameras = (ctx: IsiCommandContext) =>
  ctx.instruments.list().filter((i) => cameraCapability(i.describe().capabilities) !== undefined);
const displays = (ctx: IsiCommandContext) =>
  ctx.instruments.list().filter((i) => i.type === 'StimulusDisplay');

/** The configured camera (camera.instrument) or, when it is "", the first camera. */
function cameraOf(ctx: IsiCommandContext, params: Params) {
  const id =
    (params.camera as string | undefined) || ctx.parameters.read().camera.instrument || cameras(ctx)[0]?.id;
  if (!id) throw new BenchtopError('NOT_FOUND', 'no camera instrument is configured', {});
  return ctx.instruments.get(id);
}

function displayOf(ctx: IsiCommandContext, params: Params) {
  const id =
    (params.display as string | undefined) || ctx.parameters.read().monitor.display || displays(ctx)[0]?.id;
  if (!id) throw new BenchtopError('NOT_FOUND', 'no StimulusDisplay instrument is configured', {});
  return ctx.instruments.get(id);
}

function liveAction(ctx: IsiCommandContext, params: Params, which: 'start_live' | 'stop_live') {
  const camera = cameraOf(ctx, params);
  const action = cameraCapability(camera.describe().capabilities)?.actions[which];
  if (!action)
    throw new BenchtopError('VALUE_INVALID', `${camera.id} has no ${which} action`, {
      instrument: camera.id,
    });
  return { camera, action };
}

export const ISI_COMMANDS: Record<string, Handler> = {
  ping: (ctx) => ({ pong: true, server_time: ctx.now() }),
  get_system_status: (ctx) => {
    const recording = ctx.service.list().find((s) => s.state === 'recording');
    return {
      mode: ctx.parameters.read().acquisition.mode,
      recording: recording?.id ?? null,
      cameras: cameras(ctx).map((c) => ({ id: c.id, state: c.status().state })),
      displays: displays(ctx).map((d) => ({ id: d.id, state: d.status().state })),
    };
  },
  get_system_health: (ctx) => {
    const all = [...cameras(ctx), ...displays(ctx)].map((i) => i.status());
    return {
      healthy: all.length > 0 && all.every((s) => s.state === 'ready'),
      instruments: all.map((s) => ({ id: s.id, state: s.state, error: s.lastError?.message ?? null })),
    };
  },
  get_all_parameters: (ctx) => ctx.parameters.read(),
  update_parameter_group: (ctx, p) => ctx.parameters.updateGroup(str(p, 'group'), p.parameters ?? {}),
  reset_to_defaults: (ctx, p) => ctx.parameters.reset(p.group === undefined ? undefined : str(p, 'group')),
  detect_cameras: (ctx) => ({
    cameras: cameras(ctx).map((c) => ({ id: c.id, type: c.type, state: c.status().state })),
  }),
  get_camera_capabilities: (ctx, p) => {
    const camera = cameraOf(ctx, p);
    return { camera: camera.id, capability: cameraCapability(camera.describe().capabilities) ?? null };
  },
  detect_displays: (ctx) => ({ displays: displays(ctx).map((d) => ({ id: d.id, state: d.status().state })) }),
  select_display: (ctx, p) => {
    const display = ctx.instruments.get(str(p, 'display'));
    if (display.type !== 'StimulusDisplay')
      throw new BenchtopError('VALUE_INVALID', `${display.id} is a ${display.type}, not a StimulusDisplay`, {
        instrument: display.id,
      });
    const monitor = ctx.parameters.read().monitor;
    return ctx.parameters.updateGroup('monitor', { ...monitor, display: display.id }).monitor;
  },
  set_acquisition_mode: (ctx, p) => {
    const acquisition = ctx.parameters.read().acquisition;
    return ctx.parameters.updateGroup('acquisition', { ...acquisition, mode: str(p, 'mode') }).acquisition;
  },
  start_preview: async (ctx, p) => {
    const { camera, action } = liveAction(ctx, p, 'start_live');
    await camera.call(action, {});
    return { camera: camera.id, live: true };
  },
  stop_preview: async (ctx, p) => {
    const { camera, action } = liveAction(ctx, p, 'stop_live');
    await camera.call(action, {});
    return { camera: camera.id, live: false };
  },
  start_acquisition: (ctx, p) =>
    ctx.service.start(cameraOf(ctx, p), displayOf(ctx, p), typeof p.lead_s === 'number' ? p.lead_s : 2),
  // Stopping the display's run ends the session (the recorder closes the file with the reason).
  stop_acquisition: async (ctx, p) => {
    const display = displayOf(ctx, p);
    await display.call('stop', {});
    return { display: display.id, stopped: true };
  },
  capture_anatomical: async (ctx, p) => {
    const image = await ctx.service.captureAnatomical(
      cameraOf(ctx, p),
      ctx.instruments,
      typeof p.frames === 'number' ? p.frames : undefined,
    );
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    for (const v of image.pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    return {
      camera: image.camera,
      width: image.width,
      height: image.height,
      frames: image.frames,
      captured_at: image.capturedAt,
      illumination: image.illumination || null,
      mean: sum / image.pixels.length,
      min,
      max,
      // Where it is stored: the session recording now, else the next one.
      session: image.session,
    };
  },
  list_sessions: async (ctx) => ({ sessions: await ctx.service.listAll() }),
  load_session: (ctx, p) => ctx.service.load(str(p, 'session')),
  start_playback_sequence: async (ctx, p) =>
    (
      await ctx.service.startPlayback(str(p, 'session'), {
        ...(typeof p.direction === 'string' ? { direction: p.direction } : {}),
        ...(typeof p.fps === 'number' ? { fps: p.fps } : {}),
      })
    ).state(),
  get_playback_frame: async (ctx, p) => {
    const f = await ctx.service
      .playback(str(p, 'playback'))
      .frame(typeof p.index === 'number' ? p.index : undefined);
    const { pixels, ...rest } = f;
    return {
      ...rest,
      pixels_base64: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64'),
    };
  },
};

export const ISI_COMMAND_NAMES = Object.keys(ISI_COMMANDS);

export async function runIsiCommand(
  ctx: IsiCommandContext,
  command: string,
  params: Params,
): Promise<unknown> {
  const handler = ISI_COMMANDS[command];
  if (!handler)
    throw new BenchtopError('VALIDATION_FAILED', `unknown command ${command}`, {
      commands: ISI_COMMAND_NAMES,
    });
  return handler(ctx, params);
}
