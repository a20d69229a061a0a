import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';

export interface OperationsDeps {
  metrics: Registry;
  checkDatabase: () => Promise<void>;
  /** The OpenAPI document, made on first use (see openapi.ts). */
  openApiDocument: () => Promise<unknown>;
}

export const operationsRoutes: FastifyPluginAsyncTypebox<OperationsDeps> = async (app, { metrics, checkDatabase, openApiDocument }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database reachability',
        response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: Type.Object({ status: Type.Literal('unavailable') }) },
      },
      // Probes poll this all day, an idle server included: a two-word answer needs no compiled
      // serializer (nor the compiler and Ajv loaded for it). The schema stays for the OpenAPI document.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (request, reply) => {
      try {
        await checkDatabase();
        return { status: 'ok' as const };
      } catch (error) {
        request.log.error({ err: error }, 'health check failed');
        return reply.code(503).send({ status: 'unavailable' as const });
      }
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => openApiDocument());
};
