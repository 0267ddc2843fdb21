import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { BenchtopError } from '../core/errors.ts';

/**
 * What travels between agents and hubs, versioned (`v`): births, heartbeats, reading batches,
 * state changes, commands and their replies. JSON on the wire; every decode checks the shape,
 * so a message from a newer or broken peer is refused with a clear error instead of crashing
 * whoever reads it.
 */

export const PROTOCOL_VERSION = 1;

const Version = Type.Literal(PROTOCOL_VERSION);
const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
const StateBody = Type.Object({
  state: Type.String(),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  at: Type.Number(),
});

/** One instrument as an agent declares it: its description and where it lives. */
export const InstrumentRecord = Type.Object({
  v: Version,
  id: Type.String(),
  type: Type.String(),
  agentId: Type.String(),
  host: Type.String(),
  epoch: Type.Number(),
  description: Type.Unknown(),
  identity: Type.Optional(Type.Unknown()),
});

export const AgentBirth = Type.Object({
  v: Version,
  agentId: Type.String(),
  site: Type.String(),
  host: Type.String(),
  version: Type.String(),
  epoch: Type.Number(),
  instruments: Type.Array(Type.String()),
  /** Agent wall clock at birth (epoch ms). */
  clock: Type.Number(),
  /** `dead` after a clean stop (the agent's own death certificate). */
  status: Type.Union([Type.Literal('alive'), Type.Literal('dead')]),
  /** Last heartbeat (agent clock), updated in the `agents` bucket at every beat. */
  lastHeartbeat: Type.Number(),
});

export const Heartbeat = Type.Object({
  v: Version,
  agentId: Type.String(),
  epoch: Type.Number(),
  seq: Type.Integer(),
  at: Type.Number(),
  /** Every instrument's actor state, so a hub that missed an event catches up within one beat. */
  states: Type.Record(Type.String(), StateBody),
  /** The parameter-log buffer on the agent's disk, when it logs: the hub alarms on its drops. */
  outbox: Type.Optional(
    Type.Object({
      pendingBytes: Type.Number(),
      capacityBytes: Type.Number(),
      droppedSamples: Type.Number(),
      overflowing: Type.Boolean(),
    }),
  ),
});

export const ReadingBatch = Type.Object({
  v: Version,
  agentId: Type.String(),
  epoch: Type.Number(),
  seq: Type.Integer(),
  inst: Type.String(),
  samples: Type.Array(
    Type.Object({
      signal: Type.String(),
      value: Type.Unknown(),
      /** Acquisition time on the agent (epoch ms). */
      ts: Type.Number(),
      unit: Type.Optional(Type.String()),
      quality: Type.Union([Type.Literal('good'), Type.Literal('invalid')]),
    }),
  ),
});

export const StateChange = Type.Object({
  v: Version,
  agentId: Type.String(),
  epoch: Type.Number(),
  inst: Type.String(),
  kind: Type.String(),
  restarts: Type.Integer(),
  ...StateBody.properties,
});

export const CommandRequest = Type.Object({
  v: Version,
  cmdId: Type.String(),
  verb: Type.String(),
  args: Type.Record(Type.String(), Type.Unknown()),
  /** Hub wall clock after which the answer is no use (epoch ms). */
  deadline: Type.Number(),
  /** The control lease the hub holds for this instrument, when it writes. */
  lease: Type.Optional(Type.String()),
  /** Hub wall clock when sent: the clock-offset estimate pairs it with the agent's. */
  sentAt: Type.Optional(Type.Number()),
});

export const CommandReply = Type.Object({
  v: Version,
  cmdId: Type.String(),
  status: Type.Union([
    Type.Literal('done'),
    Type.Literal('accepted'),
    Type.Literal('rejected'),
    Type.Literal('error'),
  ]),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorBody),
  /** Agent wall clock when the reply was made. */
  agentNow: Type.Number(),
});

/** Parameter-log samples of one agent, in order; `seq` is the outbox's, so `agentId:seq` names the batch for ever. */
export const LogBatch = Type.Object({
  v: Version,
  agentId: Type.String(),
  seq: Type.Integer(),
  samples: Type.Array(
    Type.Object({
      signal: Type.String(),
      /** The sampling deadline on the agent (epoch ms): the acquisition time. */
      time: Type.Number(),
      value: Type.Union([Type.Number(), Type.Null()]),
      quality: Type.Optional(Type.String()),
    }),
  ),
});

/** A hub's logging groups over agents' signals (bucket `log_groups`, key = the hub): each agent samples its own. */
export const DelegatedLogGroups = Type.Object({
  v: Version,
  hub: Type.String(),
  groups: Type.Array(
    Type.Object({
      name: Type.String(),
      interval_s: Type.Number({ exclusiveMinimum: 0 }),
      signals: Type.Array(Type.String()),
    }),
  ),
});

/** One run document on `daq.doc.<site>.<host>.<run>` (stream DOCS); its uid is the message id and the database key. */
export const RunDocumentMessage = Type.Object({
  v: Version,
  /** Who ran the plan (the hub's id). */
  host: Type.String(),
  run: Type.String(),
  name: Type.String(),
  doc: Type.Record(Type.String(), Type.Unknown()),
});

export type RunDocumentMessage = Static<typeof RunDocumentMessage>;
export type LogBatch = Static<typeof LogBatch>;
export type InstrumentRecord = Static<typeof InstrumentRecord>;
export type AgentBirth = Static<typeof AgentBirth>;
export type Heartbeat = Static<typeof Heartbeat>;
export type ReadingBatch = Static<typeof ReadingBatch>;
export type StateChange = Static<typeof StateChange>;
export type CommandRequest = Static<typeof CommandRequest>;
export type CommandReply = Static<typeof CommandReply>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encode<T extends TSchema>(_schema: T, message: Static<T>): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/**
 * Each schema's check compiled once, on its first decode: the interpreted `Value.Check` walked
 * the schema on every message and was a measurable part of a remote command's round trip,
 * which decodes a request on the agent and a reply on the hub (decision 0018).
 */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

/** Parses and checks one message; throws PROTOCOL_ERROR naming what was wrong. */
export function decode<T extends TSchema>(schema: T, bytes: Uint8Array, what: string): Static<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new BenchtopError('PROTOCOL_ERROR', `${what}: not JSON (${(error as Error).message})`);
  }
  if (typeof parsed === 'object' && parsed !== null && 'v' in parsed && parsed.v !== PROTOCOL_VERSION) {
    throw new BenchtopError(
      'PROTOCOL_ERROR',
      `${what}: protocol version ${String(parsed.v)}, this Benchtop speaks ${PROTOCOL_VERSION}`,
    );
  }
  const check = checkerOf(schema);
  if (!check.Check(parsed)) {
    const first = check.Errors(parsed).First();
    throw new BenchtopError(
      'PROTOCOL_ERROR',
      `${what}: ${first ? `${first.path || '/'} ${first.message}` : 'does not match the schema'}`,
    );
  }
  return parsed as Static<T>;
}
