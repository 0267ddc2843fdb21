import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LineConfig } from '../../config/line-schema.ts';
import type { Clock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import { disposeDefect } from '../../production/defect-disposition.ts';
import {
  loadLineReport,
  type ReportPeriod,
  shiftPeriod,
  windowPeriod,
} from '../../production/line-report-data.ts';
import type { LineStore } from '../../production/store/line-store.ts';
import { ErrorResponses, LineDefect, LineDefectList, LineList, LineReport } from '../api-types.ts';
import { parseTimeSeconds } from './run-routes.ts';

export interface ProductionContext {
  lines: readonly LineConfig[];
  store: LineStore;
}

const LineParams = Type.Object({ id: Type.String() });
const WindowQuery = {
  from: Type.Optional(Type.String({ description: 'ISO 8601 or epoch; default 8 hours before `to`' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601 or epoch; default now' })),
};

function lineOf(ctx: ProductionContext, id: string): LineConfig {
  const line = ctx.lines.find((l) => l.id === id);
  if (!line) throw new BenchtopError('NOT_FOUND', `No line "${id}"`, { line: id });
  return line;
}

function windowOf(q: { from?: string; to?: string }, clock: Clock): { from: number; to: number } {
  const to = (parseTimeSeconds(q.to, 'to') ?? clock.now() / 1000) * 1000;
  const from = (parseTimeSeconds(q.from, 'from') ?? to / 1000 - 8 * 3600) * 1000;
  if (from >= to) throw new BenchtopError('VALIDATION_FAILED', 'from must be before to', { from, to });
  return { from, to };
}

/**
 * /api/v1/lines: the configured lines, their KPIs over a window or a shift, and the defect review
 * (list, disposition). KPIs are recomputed from the store on each request.
 */
export function lineRoutes(ctx: ProductionContext, clock: Clock) {
  return async (app: FastifyInstance) => {
    app.get(
      '/lines',
      {
        schema: {
          tags: ['lines'],
          summary: 'Configured production lines',
          response: { 200: LineList, ...ErrorResponses },
        },
      },
      async (): Promise<LineList> => ({
        lines: ctx.lines.map((l) => ({
          id: l.id,
          ideal_cycle_ms: l.ideal_cycle_ms,
          target_per_hour: l.target_per_hour,
          shifts: l.shifts,
          stations: l.stations.map((s) => ({ id: s.id, defect_classes: Object.keys(s.defect_classes) })),
        })),
      }),
    );
    app.get(
      '/lines/:id/kpis',
      {
        schema: {
          tags: ['lines'],
          summary:
            'OEE (A × P × Q), FPY, final yield, scrap/rework, throughput, cycle time, downtime by reason, Pareto, SPC over [from, to) or one shift',
          params: LineParams,
          querystring: Type.Object({
            ...WindowQuery,
            shift: Type.Optional(Type.String({ description: 'shift name; with date instead of from/to' })),
            date: Type.Optional(
              Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'day the shift starts' }),
            ),
          }),
          response: { 200: LineReport, ...ErrorResponses },
        },
      },
      async (request): Promise<LineReport> => {
        const line = lineOf(ctx, (request.params as { id: string }).id);
        const q = request.query as { from?: string; to?: string; shift?: string; date?: string };
        let period: ReportPeriod;
        if (q.shift !== undefined) {
          if (!q.date)
            throw new BenchtopError('VALIDATION_FAILED', 'shift needs date (YYYY-MM-DD)', { shift: q.shift });
          period = shiftPeriod(line, q.date, q.shift);
        } else {
          const { from, to } = windowOf(q, clock);
          period = windowPeriod(line, from, to);
        }
        const { cycleTimes: _raw, ...report } = await loadLineReport(ctx.store, line, period);
        return report;
      },
    );
    app.get(
      '/lines/:id/defects',
      {
        schema: {
          tags: ['lines'],
          summary: 'Defects found over [from, to), newest first, optionally by disposition',
          params: LineParams,
          querystring: Type.Object({
            ...WindowQuery,
            disposition: Type.Optional(
              Type.Union(['pending', 'accept', 'reject', 'rework'].map((d) => Type.Literal(d))),
            ),
            limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
          }),
          response: { 200: LineDefectList, ...ErrorResponses },
        },
      },
      async (request): Promise<LineDefectList> => {
        const line = lineOf(ctx, (request.params as { id: string }).id);
        const q = request.query as { from?: string; to?: string; disposition?: string; limit: number };
        const { from, to } = windowOf(q, clock);
        const all = await ctx.store.defects({ lineId: line.id, from, to });
        const picked = q.disposition ? all.filter((d) => d.disposition === q.disposition) : all;
        return { defects: picked.reverse().slice(0, q.limit) };
      },
    );
    app.post(
      '/lines/:id/defects/:defect/disposition',
      {
        // The route admits operators; disposeDefect then requires supervisor, quality or admin.
        config: { role: 'operator', audit: 'defect.disposition' },
        schema: {
          tags: ['lines'],
          summary: 'Accept, reject or rework a defect, with a note (supervisor or quality; audited)',
          params: Type.Object({ id: Type.String(), defect: Type.String() }),
          body: Type.Object(
            {
              disposition: Type.Union([
                Type.Literal('accept'),
                Type.Literal('reject'),
                Type.Literal('rework'),
              ]),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: LineDefect, ...ErrorResponses },
        },
      },
      async (request): Promise<LineDefect> => {
        const { id, defect } = request.params as { id: string; defect: string };
        const line = lineOf(ctx, id);
        const existing = await ctx.store.defect(defect);
        if (!existing || existing.lineId !== line.id)
          throw new BenchtopError('NOT_FOUND', `No defect ${defect} on line ${line.id}`, {
            defect,
            line: line.id,
          });
        const body = request.body as { disposition: string; note?: string };
        return disposeDefect(ctx.store, clock, {
          defectId: defect,
          disposition: body.disposition,
          note: body.note ?? null,
          user: { name: request.principal.name, role: request.principal.role },
        });
      },
    );
  };
}
