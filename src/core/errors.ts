/**
 * The error catalogue. Every error Benchtop reports to a user carries a stable `code`
 * (what clients and tests match on), an HTTP status for the API, and optional `details`.
 * An instrument's own error number travels in `details.instrumentCode`, never in the code.
 */
export const ErrorCodes = {
  CONFIG_INVALID: { status: 400, summary: 'The configuration is invalid' },
  MAILBOX_FULL: { status: 503, summary: "The actor's mailbox is full" },
  ASK_TIMEOUT: { status: 504, summary: 'The actor did not answer in time' },
  ACTOR_UNAVAILABLE: { status: 503, summary: 'The actor is not running' },
  ACTOR_STOPPED: { status: 503, summary: 'The actor was stopped' },
  SPAWN_TIMEOUT: { status: 504, summary: 'The actor did not start in time' },
  INSTRUMENT_NOT_FOUND: { status: 404, summary: 'No instrument with that id' },
  INSTRUMENT_UNAVAILABLE: { status: 503, summary: 'The instrument is not connected' },
  INSTRUMENT_ERROR: { status: 502, summary: 'The instrument reported an error' },
  INSTRUMENT_TIMEOUT: { status: 504, summary: 'The instrument did not answer in time' },
  VISION_TIMEOUT: {
    status: 504,
    summary: 'The vision system accepted the trigger but sent no result in time',
  },
  PROTOCOL_ERROR: { status: 502, summary: 'The instrument sent a reply that could not be understood' },
  LIBRARY_MISSING: { status: 503, summary: 'A system library the instrument needs is not installed' },
  LINK_LOST: { status: 503, summary: 'The connection to the instrument was lost' },
  SIGNAL_NOT_FOUND: { status: 404, summary: 'No signal with that name' },
  SIGNAL_READ_ONLY: { status: 405, summary: 'The signal cannot be written' },
  SIGNAL_WRITE_ONLY: { status: 405, summary: 'The signal cannot be read' },
  ACTION_NOT_FOUND: { status: 404, summary: 'No action with that name' },
  VALUE_OUT_OF_RANGE: { status: 422, summary: 'The value is outside the allowed range' },
  VALUE_INVALID: { status: 400, summary: 'The value has the wrong type or form' },
  INTERLOCK: { status: 409, summary: 'A safety interlock refused the command' },
  TRANSPORT_UNSUPPORTED: { status: 400, summary: 'The resource string names an unsupported transport' },
  RESOURCE_INVALID: { status: 400, summary: 'The resource string cannot be parsed' },
  VALIDATION_FAILED: { status: 400, summary: 'The request is invalid' },
  NOT_FOUND: { status: 404, summary: 'Not found' },
  RUN_NOT_FOUND: { status: 404, summary: 'No run with that uid' },
  RECIPE_NOT_FOUND: { status: 404, summary: 'No recipe with that name (or version)' },
  PRECONDITION_FAILED: { status: 409, summary: 'The conditions a recipe needs before it starts do not hold' },
  VALVE_NOT_CONFIRMED: { status: 409, summary: 'A valve was commanded but its feedback did not confirm it' },
  WAIT_TIMEOUT: { status: 504, summary: 'A recipe wait step timed out before its condition held' },
  PLAN_NOT_FOUND: { status: 404, summary: 'No plan with that name' },
  RUN_STATE_CONFLICT: { status: 409, summary: 'The run is not in a state that allows this' },
  ALARM_NOT_FOUND: { status: 404, summary: 'No alarm with that id' },
  ALARM_STATE_CONFLICT: { status: 409, summary: 'The alarm is not in a state that allows this' },
  STORAGE_ERROR: { status: 500, summary: 'Storage failed' },
  SESSION_FILE_BUSY: {
    status: 503,
    summary: 'The session file is being restructured by its writer; retry shortly',
  },
  STORAGE_FULL: { status: 507, summary: 'The disk holding the data is full' },
  BACKUP_INVALID: { status: 400, summary: 'The backup archive is not valid' },
  UNAUTHORIZED: { status: 401, summary: 'Authentication is required' },
  FORBIDDEN: { status: 403, summary: 'Your role does not allow this' },
  RATE_LIMITED: { status: 429, summary: 'Too many requests' },
  INSECURE_BIND: {
    status: 500,
    summary: 'Refusing to listen on a non-loopback address without authentication',
  },
  /** The command-line client got no answer from the server (nothing listening, refused, reset). */
  SERVER_UNREACHABLE: { status: 503, summary: 'The Benchtop server did not answer' },
  /** Several machines: another live agent registered the same instrument id. */
  INSTRUMENT_ID_CONFLICT: {
    status: 409,
    summary: 'Another agent on the site has an instrument with that id',
  },
  /** Several machines: the NATS server refused or could not be reached. */
  BUS_UNAVAILABLE: {
    status: 503,
    summary: 'The message bus (NATS) could not be reached or refused the credentials',
  },
  /** Several machines: another hub, or an operator at the instrument's host, holds its control lease. */
  CONTROL_LEASE_HELD: { status: 409, summary: 'Another hub or a local operator controls this instrument' },
  INTERNAL: { status: 500, summary: 'Internal error' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class BenchtopError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BenchtopError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isBenchtopError(err: unknown, code?: ErrorCode): err is BenchtopError {
  return err instanceof BenchtopError && (code === undefined || err.code === code);
}

/** Turns anything thrown into a BenchtopError, keeping the original as `cause`. */
export function toBenchtopError(err: unknown, fallback: ErrorCode = 'INTERNAL'): BenchtopError {
  if (err instanceof BenchtopError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BenchtopError(fallback, message, {}, { cause: err });
}
