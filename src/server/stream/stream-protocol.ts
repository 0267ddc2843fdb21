import { type Static, Type } from '@sinclair/typebox';
import type { Role } from '../auth/roles.ts';

/**
 * Messages a WebSocket client sends on /api/v1/stream. Everything the server sends is JSON
 * `{type, ...}` (reading, state, document, progress, alarm, error, subscribed) except camera
 * previews, which are binary (see camera-preview.ts).
 */
export const Channels = ['states', 'runs', 'alarms', 'logs', 'lines', 'imaging'] as const;
export type Channel = (typeof Channels)[number];

/**
 * The least role that may read each channel: the one rule for the stream and for the HTTP
 * route that serves the same data (GET /api/v1/logs takes its role from here).
 */
export const ChannelRoles: Record<Channel, Role> = {
  states: 'viewer',
  runs: 'viewer',
  alarms: 'viewer',
  logs: 'operator',
  lines: 'viewer',
  imaging: 'viewer',
};

/** Signal and wildcard subscriptions one client may hold at once (500 per message, this many in all). */
export const MAX_SIGNAL_SUBSCRIPTIONS = 2000;

export const ClientMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('subscribe'),
      /** `instrument.signal` paths, or `instrument.*` for every signal of an instrument. */
      signals: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { maxItems: 500 })),
      /** Highest update rate per signal; faster changes are coalesced to the latest value. */
      max_rate_hz: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
      channels: Type.Optional(Type.Array(Type.Union(Channels.map((c) => Type.Literal(c))))),
      camera: Type.Optional(
        Type.Object(
          {
            instrument: Type.String(),
            max_fps: Type.Number({ exclusiveMinimum: 0, maximum: 30, default: 5 }),
            max_width: Type.Integer({ minimum: 16, maximum: 2048, default: 512 }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('unsubscribe'),
      signals: Type.Optional(Type.Array(Type.String())),
      channels: Type.Optional(Type.Array(Type.String())),
      camera: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('ping') }, { additionalProperties: false }),
]);
export type ClientMessage = Static<typeof ClientMessage>;

/** Default and ceiling for per-signal update rates. */
export const DEFAULT_SIGNAL_RATE_HZ = 10;
