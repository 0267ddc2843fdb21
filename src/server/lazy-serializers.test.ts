import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { lazyResponseSerializers } from './lazy-serializers.ts';

describe('lazyResponseSerializers', () => {
  it('serializes a reply as fast-json-stringify does: fields the schema does not name dropped, types coerced', async () => {
    const app = Fastify({
      schemaController: { compilersFactory: { buildSerializer: lazyResponseSerializers() } },
    });
    app.get(
      '/thing',
      {
        schema: {
          response: {
            200: { type: 'object', properties: { n: { type: 'number' }, s: { type: 'string' } } },
          },
        },
      },
      async () => ({ n: '42', s: 'x', secret: 'not in the schema' }),
    );
    try {
      const reply = await app.inject({ method: 'GET', url: '/thing' });
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.body, '{"n":42,"s":"x"}');
      // Again, with the compiled serializer kept.
      assert.equal((await app.inject({ method: 'GET', url: '/thing' })).body, '{"n":42,"s":"x"}');
    } finally {
      await app.close();
    }
  });

  it('compiles a schema at its first use, not when the route is compiled', () => {
    const compile = lazyResponseSerializers()({}, {});
    // fast-json-stringify refuses a reference it cannot resolve, when it compiles.
    const serialize = compile({
      schema: { $ref: '#/definitions/missing' },
      method: 'GET',
      url: '/broken',
      httpStatus: '200',
    });
    assert.throws(() => serialize({}));
  });
});
