import type { AuthlinkServices } from '@authlink/core';
import formBody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { COMPOSIO_PREFIX, composioCompat } from './compat/composio/composio-plugin.js';
import { registerMetrics } from './metrics.js';
import { lazyOpenApiDocument } from './openapi.js';
import { apiKeyAuth } from './plugins/api-key-auth.js';
import { FailedAuthLimiter } from './plugins/failed-auth-limiter.js';
import { securityHeaders } from './plugins/security-headers.js';
import { problemOf, registerProblemDetails, sendProblem } from './plugins/problem-details.js';
import { lazyChildLogger } from './plugins/lazy-request-logger.js';
import { lazySerializerBuilder, lazyValidatorBuilder } from './plugins/lazy-schema-compilers.js';
import { requestSerializer } from './plugins/safe-logging.js';
import { UpstreamClient } from './proxy/upstream-client.js';
import { appRoutes } from './routes/apps.js';
import { browserFlowRoutes } from './routes/browser-flow.js';
import { connectedAccountRoutes } from './routes/connected-accounts.js';
import { entityRoutes } from './routes/entities.js';
import { integrationRoutes } from './routes/integrations.js';
import { operationsRoutes } from './routes/operations.js';
import { projectRoutes } from './routes/project.js';
import { proxyRoutes } from './routes/proxy.js';
import { ProblemSchema } from './schemas/common.js';

export interface BuildAppOptions {
  services: AuthlinkServices;
  /** The URL browsers reach this server at; connect links and the OAuth callback use it. */
  publicUrl: string;
  /** A pino logger; none → no logging (tests). */
  logger?: FastifyBaseLogger;
  checkDatabase?: () => Promise<void>;
  bodyLimitBytes?: number;
  /** Per client address: requests a minute to the browser pages, failed API keys a minute. */
  rateLimits?: { browserPerMinute?: number; failedKeysPerMinute?: number };
  /** Proxy: longest wait for the app's response headers, and longest pause in its body. Default 30 s. */
  proxyTimeoutMs?: number;
}

export const API_PREFIX = '/api/v1';

/** Builds the HTTP app. Tests drive it with inject() or listen on a random port. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const app = Fastify({
    // Request URLs hold connect tokens, codes and states: the request serializer redacts them.
    loggerInstance: options.logger?.child({}, { serializers: { req: requestSerializer } }),
    childLoggerFactory: lazyChildLogger,
    // Route schemas compile on their route's first request, not at start (idle memory).
    schemaController: { compilersFactory: { buildValidator: lazyValidatorBuilder(), buildSerializer: lazySerializerBuilder() } },
    bodyLimit: options.bodyLimitBytes ?? 256 * 1024,
    // Schemas must reject what they do not know, not silently drop it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    routerOptions: { maxParamLength: 256 },
    // Errors the router raises before any hook (bad percent-encoding, over-long parameters).
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, problemOf('VALIDATION_FAILED', `the request URL is not valid (${error.message})`));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerProblemDetails(app);
  // On shutdown, answers still in flight close their connection: a keep-alive socket that goes
  // idle after close() began would otherwise hold the process until its keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // One callback-style hook for every answer: each hook, and each async one more, costs per request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    securityHeaders(reply);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addSchema(ProblemSchema);
  await app.register(formBody, { bodyLimit: 64 * 1024 });
  const openApiDocument = lazyOpenApiDocument(app, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'authlink', version: '0.1.0', description: 'Connect your users’ third-party accounts and act for them.' },
      servers: [{ url: publicUrl }],
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      security: [{ apiKey: [] }],
    },
  });
  const metrics = registerMetrics(app);
  const checkDatabase = options.checkDatabase ?? (() => Promise.resolve());
  const upstream = new UpstreamClient({ headersTimeoutMs: options.proxyTimeoutMs, bodyTimeoutMs: options.proxyTimeoutMs });
  app.addHook('onClose', () => upstream.close());

  const failedAuth = new FailedAuthLimiter(options.rateLimits?.failedKeysPerMinute ?? 30, 60_000);
  await app.register(async (api) => {
    api.addHook('onRequest', apiKeyAuth(options.services.projects, failedAuth));
    const deps = { services: options.services };
    await api.register(appRoutes, deps);
    await api.register(integrationRoutes, deps);
    await api.register(connectedAccountRoutes, deps);
    await api.register(entityRoutes, deps);
    await api.register(projectRoutes, deps);
    await api.register(proxyRoutes, { ...deps, upstream });
  }, { prefix: API_PREFIX });

  await app.register(composioCompat, { services: options.services, failedAuth, prefix: COMPOSIO_PREFIX });
  await app.register(browserFlowRoutes, { services: options.services, publicUrl, perMinute: options.rateLimits?.browserPerMinute ?? 120 });
  await app.register(operationsRoutes, { metrics, checkDatabase, openApiDocument });
  return app;
}
