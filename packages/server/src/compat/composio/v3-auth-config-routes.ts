import { AuthlinkError, type Integration } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { IdSchema } from '../../schemas/common.js';
import type { RouteDeps } from '../../routes/route-deps.js';
import { authConfigFromComposio } from './composio-fields.js';
import { appKeyOf, authSchemeFromComposio, authSchemeToComposio } from './composio-names.js';
import { ComposioAppNameSchema, ComposioAuthSchemeSchema, ComposioValuesSchema } from './composio-schemas.js';
import { v3AuthConfig } from './v3-views.js';

const hide = true;
const IdParams = Type.Object({ nanoid: IdSchema });
const ToolNames = Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 });

/**
 * `use_custom_auth`: the developer's own client credentials. `use_composio_managed_auth`: Composio's
 * OAuth apps, which do not exist here; it still works for apps that need no client credentials
 * (API keys and the like), and an OAuth app without them is refused with the reason.
 */
const CreateBody = Type.Object(
  {
    toolkit: Type.Object({ slug: ComposioAppNameSchema }, { additionalProperties: false }),
    auth_config: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('use_custom_auth'), Type.Literal('use_composio_managed_auth')]),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          authScheme: Type.Optional(ComposioAuthSchemeSchema),
          credentials: Type.Optional(ComposioValuesSchema),
          // Tools are Composio's, not authlink's: these settings restrict nothing here and are accepted as no-ops.
          is_enabled_for_tool_router: Type.Optional(Type.Boolean()),
          tool_access_config: Type.Optional(
            Type.Object({ tools_for_connected_account_creation: Type.Optional(ToolNames), tools_available_for_execution: Type.Optional(ToolNames) }, { additionalProperties: false }),
          ),
          proxy_config: Type.Optional(Type.Unknown({ description: 'not supported by authlink' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    toolkit_slug: Type.Optional(ComposioAppNameSchema),
    cursor: Type.Optional(Type.String({ maxLength: 256 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    is_composio_managed: Type.Optional(Type.Boolean()),
    show_disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** @composio/core: auth configs, which are our integrations. */
export const v3AuthConfigRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { integrations, catalog } = services;
  const view = async (request: FastifyRequest, integration: Integration) =>
    v3AuthConfig(integration, catalog.get(integration.app), await integrations.accountCount(request.projectId, integration.id));

  app.post('/auth_configs', { schema: { hide, body: CreateBody } }, async (request, reply) => {
    const { toolkit, auth_config: config } = request.body;
    if (config?.proxy_config !== undefined) {
      throw new AuthlinkError('VALIDATION_FAILED', '/auth_config/proxy_config: not supported by authlink; requests go to the app directly', {
        errors: [{ path: '/auth_config/proxy_config', message: 'not supported by authlink' }],
      });
    }
    const integration = await integrations.create(
      request.projectId,
      {
        app: appKeyOf(toolkit.slug),
        name: config?.name,
        authScheme: authSchemeFromComposio(config?.authScheme, '/auth_config/authScheme'),
        authConfig: authConfigFromComposio(config?.credentials, '/auth_config/credentials'),
      },
      request.actor,
    );
    return reply.code(201).send({
      auth_config: { id: integration.id, auth_scheme: authSchemeToComposio(integration.authScheme), is_composio_managed: false },
      toolkit: { slug: integration.app },
    });
  });

  app.get('/auth_configs', { schema: { hide, querystring: ListQuery } }, async (request) => {
    const { toolkit_slug, cursor, limit, is_composio_managed } = request.query;
    // Nothing here is managed by Composio.
    if (is_composio_managed === true) return { items: [], next_cursor: null, total_pages: 1 };
    const page = await integrations.list(request.projectId, { app: toolkit_slug === undefined ? undefined : appKeyOf(toolkit_slug), limit: limit ?? 50, cursor });
    const items = await Promise.all(page.items.map((integration) => view(request, integration)));
    return { items, next_cursor: page.nextCursor, total_pages: page.nextCursor === null ? 1 : 2 };
  });

  app.get('/auth_configs/:nanoid', { schema: { hide, params: IdParams } }, async (request) => view(request, await integrations.get(request.projectId, request.params.nanoid)));

  app.delete('/auth_configs/:nanoid', { schema: { hide, params: IdParams } }, async (request) => {
    await integrations.delete(request.projectId, request.params.nanoid, request.actor);
    return { success: true };
  });
};
