import { AuthlinkError, searchApps } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../routes/route-deps.js';
import { appKeyOf } from './composio-names.js';
import { ComposioAppNameSchema } from './composio-schemas.js';
import { v3Toolkit, v3ToolkitItem } from './v3-views.js';

const hide = true;

const ListQuery = Type.Object(
  {
    category: Type.Optional(Type.String({ maxLength: 64 })),
    // Every app here is the project's own to configure; none is managed by Composio.
    managed_by: Type.Optional(Type.Union([Type.Literal('composio'), Type.Literal('all'), Type.Literal('project')])),
    // The catalog is sorted by key; there is no usage to sort by.
    sort_by: Type.Optional(Type.Literal('alphabetically')),
    cursor: Type.Optional(Type.String({ maxLength: 256 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

/** @composio/core: toolkits, which are our catalog apps (`toolkits.get`, and the look-up of `toolkits.authorize`). */
export const v3ToolkitRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { catalog } = services;

  app.get('/toolkits', { schema: { hide, querystring: ListQuery } }, async (request) => {
    const { category, managed_by, cursor, limit = 50 } = request.query;
    if (managed_by === 'composio') return { items: [], next_cursor: null, total_pages: 1 };
    const all = searchApps(catalog.list(), { category });
    // The cursor is the last key of the previous page, as in the native apps list.
    const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
    const rest = after === undefined ? all : all.filter((a) => a.key > after);
    const items = rest.slice(0, limit);
    const last = items[items.length - 1];
    const next = rest.length > limit && last ? Buffer.from(last.key).toString('base64url') : null;
    return { items: items.map(v3ToolkitItem), next_cursor: next, total_pages: Math.max(1, Math.ceil(all.length / limit)) };
  });

  app.get(
    '/toolkits/:slug',
    { schema: { hide, params: Type.Object({ slug: ComposioAppNameSchema }), querystring: Type.Object({ version: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }) } },
    async (request) => {
      const found = catalog.get(appKeyOf(request.params.slug));
      if (!found) throw new AuthlinkError('APP_NOT_FOUND', `no toolkit ${request.params.slug} in the catalog`);
      return v3Toolkit(found);
    },
  );
};
