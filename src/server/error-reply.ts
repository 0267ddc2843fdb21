import type { FastifyError, FastifyInstance } from 'fastify';
import { BenchtopError, type ErrorCode, ErrorCodes, toBenchtopError } from '../core/errors.ts';

/** Fastify's own error codes mapped onto the catalogue, so every reply has one shape. */
function fromFastify(error: FastifyError): BenchtopError | null {
  if (error.validation) {
    return new BenchtopError('VALIDATION_FAILED', `invalid request: ${error.message}`, {
      errors: error.validation.map((v) => ({
        path: v.instancePath || v.params?.missingProperty,
        message: v.message,
      })),
    });
  }
  const code = error.code ?? '';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new BenchtopError('VALIDATION_FAILED', `malformed JSON body: ${error.message}`);
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new BenchtopError('VALIDATION_FAILED', 'request body too large', { limit: true });
  if (code.startsWith('FST_ERR_CTP')) return new BenchtopError('VALIDATION_FAILED', error.message);
  if (error.statusCode === 429) return new BenchtopError('RATE_LIMITED', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new BenchtopError('VALIDATION_FAILED', error.message);
  }
  return null;
}

/** Every error leaves the API as `{error: {code, message, details}}` with the catalogue's status. */
export function installErrorReplies(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof BenchtopError ? error : (fromFastify(error) ?? toBenchtopError(error));
    const status =
      known.code === 'VALIDATION_FAILED' && (error as FastifyError).statusCode === 413 ? 413 : known.status;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send({ error: known.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'NOT_FOUND' satisfies ErrorCode,
        message: `no route ${request.method} ${request.url}`,
        details: {},
      },
    });
  });
}

export { ErrorCodes };
