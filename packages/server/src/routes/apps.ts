import { AuthlinkError, searchApps, type AppDefinition } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppKeySchema, AuthSchemeSchema, ErrorResponses, PageQuerySchema, pageOf } from '../schemas/common.js';
import { AppSchema } from '../schemas/resources.js';
import type { RouteDeps } from './route-deps.js';

export function appView(app: AppDefinition) {
  return {
    key: app.key,
    name: app.name,
    description: app.description,
    categories: app.categories,
    docsUrl: app.docsUrl,
    baseUrl: app.baseUrl,
    authSchemes: app.authSchemes.map((s) => ({ scheme: s.scheme, fields: s.fields, defaultScopes: s.defaultScopes ?? [], pkce: s.pkce ?? false })),
  };
}

export const appRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'List the apps in the catalog',
        querystring: Type.Object(
          {
            search: Type.Optional(Type.String({ maxLength: 200, description: 'Words matched against key, name, description and categories.' })),
            category: Type.Optional(Type.String({ maxLength: 64 })),
            authScheme: Type.Optional(AuthSchemeSchema),
            ...PageQuerySchema,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(AppSchema), ...ErrorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const all = searchApps(services.catalog.list(), request.query);
      const cursor = request.query.cursor === undefined ? undefined : Buffer.from(request.query.cursor, 'base64url').toString('utf8');
      const start = cursor === undefined ? 0 : all.findIndex((a) => a.key > cursor);
      const items = start < 0 ? [] : all.slice(start, start + limit);
      const last = items[items.length - 1];
      const more = start >= 0 && start + limit < all.length;
      return { items: items.map(appView), nextCursor: more && last ? Buffer.from(last.key).toString('base64url') : null };
    },
  );

  app.get(
    '/apps/:key',
    {
      schema: {
        tags: ['apps'],
        summary: 'Get one app',
        params: Type.Object({ key: AppKeySchema }),
        response: { 200: AppSchema, ...ErrorResponses },
      },
    },
    async (request) => {
      const found = services.catalog.get(request.params.key);
      if (!found) throw new AuthlinkError('APP_NOT_FOUND', `no app ${request.params.key} in the catalog`);
      return appView(found);
    },
  );
};
