import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../core/errors.ts';

/**
 * Makes every reply that has a response schema pass it, or fail with INTERNAL (500) naming the
 * route and the mismatch. Fastify's own serialiser quietly drops fields a strict schema does not
 * name and coerces wrong types, so drift between a route and src/server/api-types.ts would go
 * unseen; tests build the server with this check to see it. What is checked is the JSON as it
 * goes on the wire (undefined fields gone, dates as strings), then sent as is.
 */
export function installReplyCheck(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: true, formats: { binary: true } });
  app.setSerializerCompiler(({ schema, method, url, httpStatus }) => {
    const validate = ajv.compile(schema as object);
    return (data: unknown) => {
      const json = JSON.stringify(data);
      const wire: unknown = json === undefined ? null : JSON.parse(json);
      if (!validate(wire))
        throw new BenchtopError(
          'INTERNAL',
          `reply of ${method} ${url} (${httpStatus}) does not match its schema: ${ajv.errorsText(validate.errors)}`,
          { route: `${method} ${url}`, status: httpStatus, errors: validate.errors ?? [] },
        );
      return json ?? 'null';
    };
  });
}
