import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlarmService } from '../../alarms/alarm-service.ts';
import { AlarmEvent, AlarmList, AlarmSnapshot, ErrorResponses } from '../api-types.ts';

const IdParams = Type.Object({ id: Type.String() });

/** /api/v1/alarms: active, shelved and recent alarms; acknowledge, shelve and unshelve (operator, audited). */
export function alarmRoutes(alarms: AlarmService) {
  return async (app: FastifyInstance) => {
    app.get(
      '/alarms',
      {
        schema: {
          tags: ['alarms'],
          summary: 'Alarms: active (incl. cleared-unacknowledged), shelved, or all, with flood/chatter rates',
          querystring: Type.Object({
            state: Type.Union([Type.Literal('active'), Type.Literal('shelved'), Type.Literal('all')], {
              default: 'active',
            }),
          }),
          response: { 200: AlarmList, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof AlarmList>> => {
        const { state } = request.query as { state: 'active' | 'shelved' | 'all' };
        const all = alarms.list();
        const pick =
          state === 'all'
            ? all
            : state === 'shelved'
              ? all.filter((a) => a.shelved)
              : all.filter((a) => !a.shelved && (a.active || !a.acknowledged));
        return { alarms: pick, rates: alarms.rates() };
      },
    );
    app.get(
      '/alarms/history',
      {
        schema: {
          tags: ['alarms'],
          summary: 'Alarm history, newest first',
          // Read from alarms.sqlite, the alarm service's own store, so it answers with the
          // database down; with [storage.postgres] the same events are in alarm_events too.
          description:
            "Read from alarms.sqlite. With [storage.postgres] every event is also copied to PostgreSQL's alarm_events table (same columns, for reporting next to parts and line events).",
          querystring: Type.Object({
            alarm: Type.Optional(Type.String()),
            since: Type.Optional(Type.String()),
            limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
          }),
          response: { 200: Type.Array(AlarmEvent), ...ErrorResponses },
        },
      },
      async (request): Promise<AlarmEvent[]> =>
        alarms.history(request.query as { alarm?: string; since?: string; limit: number }),
    );
    app.get(
      '/alarms/:id',
      {
        schema: {
          tags: ['alarms'],
          summary: 'One alarm',
          params: IdParams,
          response: { 200: AlarmSnapshot, ...ErrorResponses },
        },
      },
      async (request): Promise<AlarmSnapshot> => alarms.get((request.params as { id: string }).id),
    );
    app.post(
      '/alarms/:id/ack',
      {
        config: { role: 'operator', audit: 'alarm.ack' },
        schema: {
          tags: ['alarms'],
          summary: 'Acknowledge an alarm, with a comment',
          params: IdParams,
          response: { 200: AlarmSnapshot, ...ErrorResponses },
          body: Type.Object({ comment: Type.String({ default: '' }) }, { additionalProperties: false }),
        },
      },
      async (request): Promise<AlarmSnapshot> =>
        alarms.acknowledge(
          (request.params as { id: string }).id,
          request.principal.name,
          (request.body as { comment: string }).comment,
        ),
    );
    app.post(
      '/alarms/:id/shelve',
      {
        config: { role: 'operator', audit: 'alarm.shelve' },
        schema: {
          tags: ['alarms'],
          summary: 'Shelve an alarm for a while, with a reason',
          params: IdParams,
          response: { 200: AlarmSnapshot, ...ErrorResponses },
          body: Type.Object(
            { reason: Type.String({ minLength: 1 }), duration_s: Type.Number({ exclusiveMinimum: 0 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request): Promise<AlarmSnapshot> => {
        const { reason, duration_s } = request.body as { reason: string; duration_s: number };
        return alarms.shelve(
          (request.params as { id: string }).id,
          request.principal.name,
          reason,
          duration_s,
        );
      },
    );
    app.post(
      '/alarms/:id/unshelve',
      {
        config: { role: 'operator', audit: 'alarm.unshelve' },
        schema: {
          tags: ['alarms'],
          summary: 'Unshelve an alarm',
          params: IdParams,
          response: { 200: AlarmSnapshot, ...ErrorResponses },
          body: Type.Object({ comment: Type.String({ default: '' }) }, { additionalProperties: false }),
        },
      },
      async (request): Promise<AlarmSnapshot> =>
        alarms.unshelve(
          (request.params as { id: string }).id,
          request.principal.name,
          (request.body as { comment: string }).comment,
        ),
    );
  };
}
