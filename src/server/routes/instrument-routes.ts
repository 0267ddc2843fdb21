import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import { signalValueSchema } from '../../core/signal-validation.ts';
import {
  ActionReply,
  ErrorResponses,
  InstrumentDetail,
  InstrumentSummary,
  ReleaseControlReply,
  RestartReply,
  SignalReadReply,
  SignalWriteReply,
} from '../api-types.ts';
import { roleAtLeast } from '../auth/roles.ts';
import type { ServerContext } from '../context.ts';

const IdParams = Type.Object({ id: Type.String() });
const SignalParams = Type.Object({ id: Type.String(), signal: Type.String() });
const ActionParams = Type.Object({ id: Type.String(), action: Type.String() });
const WaitQuery = Type.Object(
  { wait: Type.Boolean({ default: true, description: 'false: return as soon as the command is sent' }) },
  { additionalProperties: false },
);

/**
 * Where an instrument on another host's agent lives and who holds its control lease, in the
 * list and in each description alike (the dashboard's cards read the descriptions).
 */
function siteFields(instrument: Instrument): Pick<InstrumentSummary, 'host' | 'control'> {
  return {
    ...(instrument.host !== undefined ? { host: instrument.host } : {}),
    ...(instrument.control ? { control: instrument.control } : {}),
  };
}

/**
 * /api/v1/instruments: list, describe, read, write and act. Every value is validated
 * against the instrument's own description (the same one the UI builds forms from).
 */
export function instrumentRoutes(ctx: ServerContext) {
  return async (app: FastifyInstance) => {
    app.get(
      '/instruments',
      {
        schema: {
          tags: ['instruments'],
          summary: 'All instruments with their state',
          response: { 200: Type.Array(InstrumentSummary), ...ErrorResponses },
        },
      },
      async (): Promise<InstrumentSummary[]> =>
        ctx.instruments.list().map((i) => {
          const s = i.status();
          return {
            id: s.id,
            type: s.type,
            state: s.state,
            lastError: s.lastError,
            identity: s.identity,
            ...siteFields(i),
          };
        }),
    );

    app.get(
      '/instruments/:id',
      {
        schema: {
          tags: ['instruments'],
          summary: 'Full description: signals, actions, state, last error',
          params: IdParams,
          response: { 200: InstrumentDetail, ...ErrorResponses },
        },
      },
      async (request): Promise<InstrumentDetail> => {
        const { id } = request.params as { id: string };
        const instrument = ctx.instruments.get(id);
        const status = instrument.status();
        return {
          ...status,
          ...siteFields(instrument),
          signals: status.signals.map((s) => ({
            ...s,
            schema: s.writable ? signalValueSchema(s) : undefined,
            last: instrument.lastReading(s.name) ?? null,
          })),
        };
      },
    );

    app.get(
      '/instruments/:id/signals/:signal',
      {
        schema: {
          tags: ['instruments'],
          summary: 'Read a signal from the instrument',
          params: SignalParams,
          response: { 200: SignalReadReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof SignalReadReply>> => {
        const { id, signal } = request.params as { id: string; signal: string };
        const reading = await ctx.instruments.get(id).read(signal);
        return {
          value: reading.value,
          unit: reading.unit ?? null,
          timestamp: reading.timestamp,
          quality: reading.quality,
        };
      },
    );

    app.put(
      '/instruments/:id/signals/:signal',
      {
        config: { role: 'operator', audit: 'signal.set' },
        schema: {
          tags: ['instruments'],
          summary: 'Write a signal; resolves when the instrument has done it (a move when motion is done)',
          params: SignalParams,
          querystring: WaitQuery,
          body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false }),
          response: { 200: SignalWriteReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof SignalWriteReply>> => {
        const { id, signal } = request.params as { id: string; signal: string };
        const { wait } = request.query as { wait: boolean };
        const { value } = request.body as { value: unknown };
        const instrument = ctx.instruments.get(id);
        // A production line's PLC: the vision-line guide lets only supervisors write its tags.
        if (
          ctx.production?.lines.some((l) => l.plc === id) &&
          !roleAtLeast(request.principal.role, 'supervisor')
        )
          throw new BenchtopError(
            'FORBIDDEN',
            `${request.principal.name} (${request.principal.role}) may not write ${id}: it is a production line's PLC (needs role supervisor)`,
            { role: request.principal.role, needed: 'supervisor' },
          );
        // The audit entry says what the value was and what the instrument reports after.
        const before = instrument.lastReading(signal)?.value ?? null;
        request.auditDetails = { before };
        const verified = await instrument.writeAndRead(signal, value, { wait });
        const desc = instrument.describe().signals.find((s) => s.name === signal);
        if (!wait || !desc?.readable) return { ok: true, done: wait };
        // A write that read the value back already has the reading: no second exchange.
        const reading = verified ?? (await instrument.read(signal));
        request.auditDetails = { before, after: reading.value };
        return {
          ok: true,
          done: true,
          value: reading.value,
          unit: reading.unit ?? null,
          timestamp: reading.timestamp,
        };
      },
    );

    app.post(
      '/instruments/:id/restart',
      {
        config: { role: 'operator', audit: 'instrument.restart' },
        schema: {
          tags: ['instruments'],
          summary:
            'Restart the instrument: reconnect it with its restart count cleared (the way out of faulted). Returns after the first attempt',
          params: IdParams,
          response: { 200: RestartReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof RestartReply>> => {
        const { id } = request.params as { id: string };
        const instrument = ctx.instruments.get(id);
        if (!ctx.instruments.restart) {
          throw new BenchtopError('INTERNAL', 'this server cannot restart instruments', { instrument: id });
        }
        const before = instrument.state;
        await ctx.instruments.restart(id);
        const status = instrument.status();
        return { ok: true, id, previous: before, state: status.state, lastError: status.lastError };
      },
    );

    app.delete(
      '/instruments/:id/control',
      {
        config: { role: 'operator', audit: 'instrument.release_control' },
        schema: {
          tags: ['instruments'],
          summary:
            "Several machines: give up this hub's control lease of a remote instrument, so an operator at its host (benchtop agent lease take) or another hub may take it; this hub's next write takes it again if it is free",
          params: IdParams,
          response: { 200: ReleaseControlReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof ReleaseControlReply>> => {
        const { id } = request.params as { id: string };
        ctx.instruments.get(id);
        const released = (await ctx.instruments.releaseControl?.(id)) ?? false;
        return { ok: true, id, released };
      },
    );

    app.post(
      '/instruments/:id/actions/:action',
      {
        config: { role: 'operator', audit: 'action.call' },
        schema: {
          tags: ['instruments'],
          summary: 'Run an action with arguments',
          params: ActionParams,
          querystring: WaitQuery,
          body: Type.Optional(
            Type.Object(
              { args: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
              { additionalProperties: false },
            ),
          ),
          response: { 200: ActionReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof ActionReply>> => {
        const { id, action } = request.params as { id: string; action: string };
        const { wait } = request.query as { wait: boolean };
        const body = (request.body ?? {}) as { args?: Record<string, unknown> };
        const result = await ctx.instruments.get(id).call(action, body.args ?? {}, { wait });
        return { ok: true, result: result ?? null };
      },
    );
  };
}
