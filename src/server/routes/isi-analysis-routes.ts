import { createReadStream, statSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { analysisLayer, LAYER_NAMES, type LayerName } from '../../analysis/retinotopy/analysis-layers.ts';
import { compositeImage } from '../../analysis/retinotopy/composite-image.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { IsiAnalysisService } from '../../imaging/isi-analysis-service.ts';
import { ErrorResponses, IsiAnalysisInfo, IsiAnalysisLayer } from '../api-types.ts';

// The analysis id is the session's path under the output directory, so it may hold slashes: it
// travels as a query parameter, not a path segment.
const LayerNameSchema = Type.Union(LAYER_NAMES.map((n) => Type.Literal(n)));

/** The guide's analysis commands: start_analysis, get_analysis_layer, get_analysis_composite_image. */
export function isiAnalysisRoutes(service: IsiAnalysisService) {
  return async (app: FastifyInstance) => {
    app.post(
      '/isi/analysis',
      {
        config: { role: 'operator', audit: 'isi.analyze' },
        schema: {
          tags: ['imaging'],
          summary:
            'start_analysis: maps and areas of a session (file or guide-layout directory under the output directory); again with other parameters recomputes only what they change',
          body: Type.Object(
            {
              session: Type.String({ minLength: 1 }),
              parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            },
            { additionalProperties: false },
          ),
          response: { 200: IsiAnalysisInfo, ...ErrorResponses },
        },
      },
      async (request): Promise<IsiAnalysisInfo> => {
        const body = request.body as { session: string; parameters?: Record<string, unknown> };
        return service.start(body.session, body.parameters);
      },
    );
    app.get(
      '/isi/analysis',
      {
        schema: {
          tags: ['imaging'],
          summary: 'One analysis: state, progress, parameters, areas',
          querystring: Type.Object(
            { id: Type.String({ minLength: 1 }), wait: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: IsiAnalysisInfo, ...ErrorResponses },
        },
      },
      async (request): Promise<IsiAnalysisInfo> => {
        const q = request.query as { id: string; wait?: boolean };
        return q.wait ? service.settled(q.id) : service.get(q.id);
      },
    );
    app.get(
      '/isi/analysis/layer',
      {
        schema: {
          tags: ['imaging'],
          summary:
            'get_analysis_layer: one map as float32 values, of a finished analysis or, while the session is recorded, of its online maps so far',
          querystring: Type.Object(
            { id: Type.String({ minLength: 1 }), layer: LayerNameSchema },
            { additionalProperties: false },
          ),
          response: { 200: IsiAnalysisLayer, ...ErrorResponses },
        },
      },
      async (request): Promise<IsiAnalysisLayer> => {
        const q = request.query as { id: string; layer: LayerName };
        const layer = analysisLayer(await service.layerResults(q.id), q.layer);
        return {
          name: layer.name,
          width: layer.width,
          height: layer.height,
          min: layer.min,
          max: layer.max,
          dtype: 'float32',
          data: Buffer.from(layer.values.buffer, layer.values.byteOffset, layer.values.byteLength).toString(
            'base64',
          ),
          ...(layer.source ? { source: layer.source } : {}),
        };
      },
    );
    app.get(
      '/isi/analysis/results.h5',
      {
        schema: {
          tags: ['imaging'],
          summary:
            "The finished analysis's analysis_results.h5 (the imaging guide's results file), as written beside the session",
          querystring: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
          produces: ['application/x-hdf5'],
          response: {
            200: {
              description: 'analysis_results.h5',
              content: { 'application/x-hdf5': { schema: Type.String({ format: 'binary' }) } },
            },
            ...ErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const q = request.query as { id: string };
        // The path is the one the service wrote for this analysis, never one the client names.
        const path = service.resultsFile(q.id);
        return reply
          .header('content-type', 'application/x-hdf5')
          .header('content-length', statSync(path).size)
          .header('content-disposition', 'attachment; filename="analysis_results.h5"')
          .send(createReadStream(path));
      },
    );
    app.get(
      '/isi/analysis/composite.png',
      {
        schema: {
          tags: ['imaging'],
          summary:
            'get_analysis_composite_image: layers over the anatomical image, each with its colour scale and opacity, as a PNG',
          querystring: Type.Object(
            {
              id: Type.String({ minLength: 1 }),
              layers: Type.String({
                description: 'comma-separated name:opacity, painted in order, e.g. raw_vfs:0.6,boundaries:1',
              }),
            },
            { additionalProperties: false },
          ),
          produces: ['image/png'],
          response: {
            200: {
              description: 'the composite',
              content: { 'image/png': { schema: Type.String({ format: 'binary' }) } },
            },
            ...ErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const q = request.query as { id: string; layers: string };
        const layers = q.layers
          .split(',')
          .filter((s) => s.length > 0)
          .map((item) => {
            const [name, opacity = '1'] = item.split(':');
            if (
              !(LAYER_NAMES as readonly string[]).includes(name as string) ||
              !Number.isFinite(Number(opacity))
            ) {
              throw new BenchtopError(
                'VALUE_INVALID',
                `layer "${item}" is not name:opacity with a known layer`,
                {
                  layer: item,
                  known: [...LAYER_NAMES],
                },
              );
            }
            return { name: name as LayerName, opacity: Number(opacity) };
          });
        const png = compositeImage(await service.layerResults(q.id), layers);
        return reply.type('image/png').send(png);
      },
    );
  };
}
