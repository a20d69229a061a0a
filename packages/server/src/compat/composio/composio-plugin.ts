import type { AuthlinkServices } from '@authlink/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { apiKeyAuth } from '../../plugins/api-key-auth.js';
import type { FailedAuthLimiter } from '../../plugins/failed-auth-limiter.js';
import { registerComposioProblems } from './composio-problems.js';
import { v1AppRoutes } from './v1-app-routes.js';
import { v1ConnectedAccountRoutes } from './v1-connected-account-routes.js';
import { v1IntegrationRoutes } from './v1-integration-routes.js';
import { v3AuthConfigRoutes } from './v3-auth-config-routes.js';
import { v3ConnectedAccountRoutes } from './v3-connected-account-routes.js';
import { v3ToolkitRoutes } from './v3-toolkit-routes.js';

/** Where the layer is mounted: `baseUrl` (composio-core) or `baseURL` (@composio/core) points here. */
export const COMPOSIO_PREFIX = '/compat/composio';

export interface ComposioCompatOptions {
  services: AuthlinkServices;
  /** Shared with the native API, so that trying keys on both surfaces does not double the attempts. */
  failedAuth: FailedAuthLimiter;
}

/**
 * Composio's connection API, as its official SDKs call it, translated onto the services the
 * native API uses: composio-core 0.5 (`/api/v1`, `/api/v2`) and @composio/core 0.17
 * (`/api/v3.1`). The project API key goes in `x-api-key`, as those SDKs send it.
 */
export const composioCompat: FastifyPluginAsyncTypebox<ComposioCompatOptions> = async (app, { services, failedAuth }) => {
  app.addHook('onRequest', apiKeyAuth(services.projects, failedAuth));
  registerComposioProblems(app);
  const deps = { services };
  await app.register(v1ConnectedAccountRoutes, deps);
  await app.register(v1IntegrationRoutes, deps);
  await app.register(v1AppRoutes, deps);
  const v3 = { ...deps, prefix: '/api/v3.1' };
  await app.register(v3ConnectedAccountRoutes, v3);
  await app.register(v3AuthConfigRoutes, v3);
  await app.register(v3ToolkitRoutes, v3);
};
