import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { IsiSessionService } from '../../imaging/isi-session-service.ts';
import { ErrorResponses, IsiSessionInfo } from '../api-types.ts';

const IdParams = Type.Object({ id: Type.String() });

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
          summary: 'Sessions recorded since the server started',
          response: { 200: Type.Array(IsiSessionInfo), ...ErrorResponses },
        },
      },
      async (): Promise<IsiSessionInfo[]> => service.list(),
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
      async (request): Promise<IsiSessionInfo> => service.get((request.params as { id: string }).id),
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
  };
}
