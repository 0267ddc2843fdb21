import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import { ISI_COMMAND_NAMES, runIsiCommand } from '../../imaging/isi-commands.ts';
import type { PlaybackSequence } from '../../imaging/isi-playback.ts';
import type { IsiSessionService } from '../../imaging/isi-session-service.ts';
import { ErrorResponses, IsiSessionInfo, PlaybackFrame, PlaybackState } from '../api-types.ts';

const IdParams = Type.Object({ id: Type.String() });
const Direction = Type.Union(['LR', 'RL', 'TB', 'BT'].map((d) => Type.Literal(d)));

const frameBody = (f: Awaited<ReturnType<PlaybackSequence['frame']>>) => ({
  direction: f.direction,
  index: f.index,
  frames: f.frames,
  width: f.width,
  height: f.height,
  timestamp_us: f.timestamp_us,
  sequence: f.sequence,
  pixels_base64: Buffer.from(f.pixels.buffer, f.pixels.byteOffset, f.pixels.byteLength).toString('base64'),
});

/** The imaging rig's record mode: start a session, follow it, export it to the guide's layout. */
export function isiRoutes(service: IsiSessionService, instruments: InstrumentDirectory) {
  return async (app: FastifyInstance) => {
    app.post(
      '/isi/sessions',
      {
        config: { role: 'operator', audit: 'isi.record' },
        schema: {
          tags: ['imaging'],
          summary: 'Record a session: the camera streams while the display presents its protocol once',
          body: Type.Object(
            {
              camera: Type.String({ description: 'Any instrument with the camera capability' }),
              display: Type.String({ description: 'A StimulusDisplay instrument' }),
              lead_s: Type.Number({ minimum: 0, maximum: 60, default: 2 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: IsiSessionInfo, ...ErrorResponses },
        },
      },
      async (request): Promise<IsiSessionInfo> => {
        const body = request.body as { camera: string; display: string; lead_s: number };
        return service.start(instruments.get(body.camera), instruments.get(body.display), body.lead_s);
      },
    );
    app.get(
      '/isi/sessions',
      {
        schema: {
          tags: ['imaging'],
          summary: 'Sessions recorded since the server started and the session files on disk',
          response: { 200: Type.Array(IsiSessionInfo), ...ErrorResponses },
        },
      },
      async (): Promise<IsiSessionInfo[]> => service.listAll(),
    );
    app.get(
      '/isi/sessions/:id',
      {
        schema: {
          tags: ['imaging'],
          summary: 'One session: state, counts, stop reason',
          params: IdParams,
          response: { 200: IsiSessionInfo, ...ErrorResponses },
        },
      },
      async (request): Promise<IsiSessionInfo> => service.load((request.params as { id: string }).id),
    );
    app.post(
      '/isi/sessions/:id/export',
      {
        config: { role: 'operator', audit: 'isi.export' },
        schema: {
          tags: ['imaging'],
          summary: "Write the imaging guide's layout of a session",
          params: IdParams,
          response: {
            200: Type.Object({ files: Type.Array(Type.String()) }, { additionalProperties: false }),
            ...ErrorResponses,
          },
        },
      },
      async (request) => ({ files: await service.exportGuide((request.params as { id: string }).id) }),
    );
    app.post(
      '/isi/command',
      {
        config: { role: 'operator', audit: 'isi.command' },
        schema: {
          tags: ['imaging'],
          summary:
            "The imaging guide's command set, mapped onto Benchtop's instruments, sessions and parameters",
          body: Type.Object(
            {
              command: Type.Union(ISI_COMMAND_NAMES.map((c) => Type.Literal(c))),
              params: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object(
              { command: Type.String(), result: Type.Unknown() },
              { additionalProperties: false },
            ),
            ...ErrorResponses,
          },
        },
      },
      async (request) => {
        const body = request.body as { command: string; params: Record<string, unknown> };
        const result = await runIsiCommand(
          { service, instruments, parameters: service.parameters, now: () => service.clock.now() },
          body.command,
          body.params,
        );
        return { command: body.command, result };
      },
    );
    // Playback mode (the guide's start_playback_sequence / get_playback_frame).
    app.post(
      '/isi/playback',
      {
        schema: {
          tags: ['imaging'],
          summary: 'Replay a session (finished or still recording) at camera rate; starts paused at frame 0',
          body: Type.Object(
            {
              session: Type.String(),
              direction: Type.Optional(Direction),
              fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: PlaybackState, ...ErrorResponses },
        },
      },
      async (request) => {
        const body = request.body as { session: string; direction?: string; fps?: number };
        const sequence = await service.startPlayback(body.session, body);
        return sequence.state();
      },
    );
    app.get(
      '/isi/playback/:id',
      {
        schema: {
          tags: ['imaging'],
          summary: 'Where a replay is: the frame due now',
          params: IdParams,
          response: { 200: PlaybackState, ...ErrorResponses },
        },
      },
      async (request) => service.playback((request.params as { id: string }).id).state(),
    );
    app.post(
      '/isi/playback/:id/control',
      {
        schema: {
          tags: ['imaging'],
          summary: 'Play, pause or seek a replay',
          params: IdParams,
          body: Type.Object(
            {
              action: Type.Union([Type.Literal('play'), Type.Literal('pause'), Type.Literal('seek')]),
              index: Type.Optional(Type.Integer({ minimum: 0 })),
              direction: Type.Optional(Direction),
            },
            { additionalProperties: false },
          ),
          response: { 200: PlaybackState, ...ErrorResponses },
        },
      },
      async (request) => {
        const p = service.playback((request.params as { id: string }).id);
        const body = request.body as {
          action: 'play' | 'pause' | 'seek';
          index?: number;
          direction?: string;
        };
        if (body.action === 'play') p.play();
        else if (body.action === 'pause') p.pause();
        else p.seek(body.index ?? 0, body.direction);
        return p.state();
      },
    );
    app.get(
      '/isi/playback/:id/frame',
      {
        schema: {
          tags: ['imaging'],
          summary: 'A frame of a replay: the one due now, or `index`',
          params: IdParams,
          querystring: Type.Object(
            { index: Type.Optional(Type.Integer({ minimum: 0 })) },
            { additionalProperties: false },
          ),
          response: { 200: PlaybackFrame, ...ErrorResponses },
        },
      },
      async (request) => {
        const p = service.playback((request.params as { id: string }).id);
        return frameBody(await p.frame((request.query as { index?: number }).index));
      },
    );
  };
}
