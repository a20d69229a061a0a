import type { SwaggerOptions } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type HTTPMethods, type RouteOptions } from 'fastify';
import { lazySerializerBuilder, lazyValidatorBuilder } from './plugins/lazy-schema-compilers.js';

interface RecordedRoute {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  schema: RouteOptions['schema'];
  config: RouteOptions['config'];
}

/**
 * The OpenAPI document (`/openapi.json`), built by @fastify/swagger on its first request rather
 * than kept ready from start: the plugin and its YAML and $ref resolvers are ~3.5 MB resident,
 * and an idle server is never asked. Routes are recorded as they are added; the first request
 * replays them (method, URL, schema, config: all the plugin reads) into a bare Fastify instance
 * with the plugin and the app's shared schemas, and keeps the document it produces.
 *
 * Call before any route is added; returns the function that gives the document.
 */
export function lazyOpenApiDocument(app: FastifyInstance, options: SwaggerOptions): () => Promise<unknown> {
  const routes: RecordedRoute[] = [];
  app.addHook('onRoute', (route) => {
    // The HEAD twins Fastify adds to GET routes; the plugin leaves them out as well.
    if (route.method === 'HEAD') return;
    routes.push({ method: route.method, url: route.url, schema: route.schema, config: route.config });
  });
  let document: Promise<unknown> | undefined;
  return () => {
    document ??= (async () => {
      const { default: swagger } = await import('@fastify/swagger');
      // Lazy compilers: the shadow never validates or serializes anything.
      const shadow = Fastify({ schemaController: { compilersFactory: { buildValidator: lazyValidatorBuilder(), buildSerializer: lazySerializerBuilder() } } });
      try {
        await shadow.register(swagger, options);
        for (const schema of Object.values(app.getSchemas())) shadow.addSchema(schema);
        // The handlers never run: the instance only describes the routes.
        for (const route of routes) shadow.route({ ...route, handler: async () => undefined });
        await shadow.ready();
        return shadow.swagger();
      } finally {
        await shadow.close();
      }
    })();
    document.catch(() => {
      document = undefined;
    });
    return document;
  };
}
