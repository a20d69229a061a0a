import swagger, { type SwaggerOptions } from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyOpenApiDocument } from './openapi.js';

const OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    servers: [{ url: 'http://example.test' }],
    components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    security: [{ apiKey: [] }],
  },
};

const Problem = Type.Object({ code: Type.String() }, { $id: 'Problem' });

/** Routes of the shapes the app has: a prefix, params, a body, shared refs, several methods with HEAD, a hidden one. */
async function addRoutes(app: FastifyInstance): Promise<void> {
  app.addSchema(Problem);
  await app.register(
    async (api) => {
      api.get('/things/:id', { schema: { tags: ['things'], summary: 'Get', params: Type.Object({ id: Type.String() }), response: { 200: Type.Object({ id: Type.String() }), 404: Type.Ref(Problem) } } }, async () => ({ id: 'x' }));
      api.post('/things', { schema: { tags: ['things'], body: Type.Object({ name: Type.String() }, { additionalProperties: false }), response: { 201: Type.Object({ id: Type.String() }) } } }, async () => ({ id: 'x' }));
      api.route({ method: ['GET', 'HEAD', 'POST'], url: '/proxy/:id/*', schema: { tags: ['proxy'], response: { default: Type.Unknown() } }, handler: async () => 'x' });
      api.route({ method: 'TRACE', url: '/proxy/:id/*', schema: { hide: true }, handler: async () => 'x' });
    },
    { prefix: '/api/v1' },
  );
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));
}

describe('lazyOpenApiDocument', () => {
  it('makes the document @fastify/swagger makes when registered up front, on first use only', async () => {
    const eager = Fastify();
    await eager.register(swagger, OPTIONS);
    await addRoutes(eager);
    await eager.ready();

    const lazy = Fastify();
    const document = lazyOpenApiDocument(lazy, OPTIONS);
    await addRoutes(lazy);
    await lazy.ready();
    expect(lazy.hasDecorator('swagger')).toBe(false);

    const made = await document();
    expect(made).toEqual(eager.swagger());
    expect(await document()).toBe(made); // made once
    expect(Object.keys((made as { paths: object }).paths)).toEqual(['/api/v1/things/{id}', '/api/v1/things', '/api/v1/proxy/{id}/{*}', '/healthz']);
    await Promise.all([eager.close(), lazy.close()]);
  });
});
