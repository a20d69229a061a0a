import { AuthlinkError, searchApps } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../routes/route-deps.js';
import { appKeyOf } from './composio-names.js';
import { ComposioAppNameSchema } from './composio-schemas.js';
import { v1App } from './v1-views.js';

const hide = true;

const AppsQuery = Type.Object(
  {
    // composio-core asks for auth schemes this way; they are always included.
    additionalFields: Type.Optional(Type.String({ maxLength: 200 })),
    category: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** composio-core 0.5: apps, which are our catalog. */
export const v1AppRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { catalog } = services;

  app.get('/api/v1/apps', { schema: { hide, querystring: AppsQuery } }, async (request) => ({
    items: searchApps(catalog.list(), { category: request.query.category }).map(v1App),
  }));

  app.get('/api/v1/apps/:appName', { schema: { hide, params: Type.Object({ appName: ComposioAppNameSchema }) } }, async (request) => {
    const found = catalog.get(appKeyOf(request.params.appName));
    if (!found) throw new AuthlinkError('APP_NOT_FOUND', `no app ${request.params.appName} in the catalog`);
    return v1App(found);
  });
};
