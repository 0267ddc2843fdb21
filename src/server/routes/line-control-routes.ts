import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../../core/errors.ts';
import type { LineCommand, LineControl } from '../../production/line-control.ts';
import type { LineHealth } from '../../production/line-tracker.ts';
import { ErrorResponses, LineStatus, LineWritten } from '../api-types.ts';
import type { Role } from '../auth/roles.ts';

export interface LineControlContext {
  /** The control of each line with a PLC, by line id. */
  control(lineId: string): LineControl | undefined;
  /** What the tracking path sees of the line now (state, last-100 quality, links). */
  health?(lineId: string): LineHealth | undefined;
}

/**
 * Who may do what on the line, by the vision-line guide: operators run and stop it; a reset
 * or releasing an emergency stop is a supervisor's; anyone from operator up may stop it at
 * once, and that is never refused by the line's state (only by the role) and always audited.
 */
export const LineCommandRoles: Record<LineCommand, Role> = {
  run: 'operator',
  stop: 'operator',
  reset: 'supervisor',
  emergency_stop: 'operator',
  release_emergency_stop: 'supervisor',
};

const routes: { path: string; command: LineCommand; summary: string }[] = [
  { path: 'run', command: 'run', summary: 'Run the line (writes run_tag true; operator)' },
  {
    path: 'stop',
    command: 'stop',
    summary: 'Stop the line at the end of the cycle (run_tag false; operator)',
  },
  {
    path: 'reset',
    command: 'reset',
    summary: 'Clear faults and warnings: pulses reset_tag true, false after 1 s (supervisor)',
  },
  {
    path: 'emergency-stop',
    command: 'emergency_stop',
    summary: 'Emergency stop (emergency_stop_tag true; operator; always audited)',
  },
  {
    path: 'emergency-stop/release',
    command: 'release_emergency_stop',
    summary: 'Release the emergency stop (emergency_stop_tag false; supervisor); run again after',
  },
];

function controlOf(ctx: LineControlContext, id: string): LineControl {
  const control = ctx.control(id);
  if (!control) throw new BenchtopError('NOT_FOUND', `No line "${id}"`, { line: id });
  return control;
}

const LineParams = Type.Object({ id: Type.String() });

/** POST /api/v1/lines/{id}/control/{run|stop|reset|emergency-stop…} and /plc/write (supervisor). */
export function lineControlRoutes(ctx: LineControlContext) {
  return async (app: FastifyInstance) => {
    app.get(
      '/lines/:id/status',
      {
        schema: {
          tags: ['lines'],
          summary: 'The line now: state, quality of the last 100 parts, PLC and camera links, commands',
          params: LineParams,
          response: { 200: LineStatus, ...ErrorResponses },
        },
      },
      async (request): Promise<LineStatus> => {
        const { id } = request.params as { id: string };
        const control = controlOf(ctx, id);
        const h = ctx.health?.(id);
        return {
          line: id,
          state: h?.lineState ?? null,
          parts: h?.parts ?? 0,
          recent_parts: h?.recentParts ?? 0,
          defect_rate: h?.defectRate ?? 0,
          plc_connected: h?.plcConnected ?? null,
          vision_connected: h?.visionConnected ?? {},
          queued_records: h?.queuedRecords ?? 0,
          commands: control.commands,
          command_roles: LineCommandRoles,
        };
      },
    );
    for (const r of routes) {
      app.post(
        `/lines/:id/control/${r.path}`,
        {
          config: { role: LineCommandRoles[r.command], audit: `line.${r.command}` },
          schema: {
            tags: ['lines'],
            summary: r.summary,
            params: LineParams,
            response: { 200: LineWritten, ...ErrorResponses },
          },
        },
        async (request): Promise<LineWritten> => {
          const { id } = request.params as { id: string };
          request.auditDetails = { line: id };
          const { tag, value } = await controlOf(ctx, id).execute(r.command);
          request.auditDetails = { line: id, tag, after: value };
          return { line: id, command: r.command, tag, value };
        },
      );
    }
    app.post(
      '/lines/:id/plc/write',
      {
        config: { role: 'supervisor', audit: 'line.plc_write' },
        schema: {
          tags: ['lines'],
          summary: "Write one of the line PLC's writable tags (supervisor)",
          params: LineParams,
          body: Type.Object(
            {
              tag: Type.String({ minLength: 1 }),
              // Checked in the handler: a union here would be coerced (1 → true) before the PLC sees it.
              value: Type.Unknown({ description: 'true/false for a BOOL tag, a number otherwise' }),
            },
            { additionalProperties: false },
          ),
          response: { 200: LineWritten, ...ErrorResponses },
        },
      },
      async (request): Promise<LineWritten> => {
        const { id } = request.params as { id: string };
        const { tag, value } = request.body as { tag: string; value: unknown };
        if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value)))
          throw new BenchtopError('VALIDATION_FAILED', 'value must be true, false or a number', {
            tag,
            value,
          });
        request.auditDetails = { line: id, tag, after: value };
        await controlOf(ctx, id).writeTag(tag, value);
        return { line: id, command: 'plc_write', tag, value };
      },
    );
  };
}
