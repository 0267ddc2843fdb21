import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>;
type Serialize = ReturnType<ReturnType<BuildSerializer>>;

/**
 * Fastify's own response serializer factory (fast-json-stringify, the one it uses by default),
 * whose compilers compile a route's serializer for a status code at its first reply with that
 * status instead of at start-up. Fastify compiles every response schema of every route when the
 * server starts: with each route's error responses that is a few hundred generated functions,
 * ≈ 3.5 MiB of an idle server's RSS (and 10 MiB of its start-up peak) for replies most servers
 * never send. The serializer and its output are the same; a schema fast-json-stringify cannot
 * compile fails that route's first such reply (a 500, logged) instead of the start.
 */
export function lazyResponseSerializers(): BuildSerializer {
  // Resolved from fastify's own location: the compiler package fastify depends on, whatever
  // the node_modules layout.
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const defaultFactory = (fromFastify('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)();
  return (externalSchemas, serializerOptions) => {
    const compile = defaultFactory(externalSchemas, serializerOptions);
    return (route) => {
      let serialize: Serialize | undefined;
      return (data) => {
        serialize ??= compile(route);
        return serialize(data);
      };
    };
  };
}
