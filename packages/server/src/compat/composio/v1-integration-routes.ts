import type { CreateIntegrationInput } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdSchema } from '../../schemas/common.js';
import type { RouteDeps } from '../../routes/route-deps.js';
import { authConfigFromComposio } from './composio-fields.js';
import { pageByNumber } from './composio-lists.js';
import { appKeyOf, authSchemeFromComposio } from './composio-names.js';
import { ComposioAppNameSchema, ComposioAuthSchemeSchema, ComposioValuesSchema } from './composio-schemas.js';
import { v1Integration } from './v1-views.js';

const hide = true;
const IdParams = Type.Object({ integrationId: IdSchema });

/** composio-core's `integrations.create` and `getOrCreateIntegration`. */
const CreateV2Body = Type.Object(
  {
    app: Type.Object({ uniqueKey: ComposioAppNameSchema }, { additionalProperties: false }),
    config: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          useComposioAuth: Type.Optional(Type.Boolean()),
          authScheme: Type.Optional(ComposioAuthSchemeSchema),
          integrationSecrets: Type.Optional(ComposioValuesSchema),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

type CreateV2 = typeof CreateV2Body.static;

function createInput(body: CreateV2): CreateIntegrationInput {
  return {
    app: appKeyOf(body.app.uniqueKey),
    name: body.config?.name,
    authScheme: authSchemeFromComposio(body.config?.authScheme, '/config/authScheme'),
    authConfig: authConfigFromComposio(body.config?.integrationSecrets, '/config/integrationSecrets'),
  };
}

const ListQuery = Type.Object(
  {
    appName: Type.Optional(ComposioAppNameSchema),
    showDisabled: Type.Optional(Type.Boolean()),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

/** composio-core 0.5: integrations (ours, one for one). */
export const v1IntegrationRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { integrations, catalog } = services;

  app.post('/api/v2/integrations/create', { schema: { hide, body: CreateV2Body } }, async (request, reply) => {
    const integration = await integrations.create(request.projectId, createInput(request.body), request.actor);
    return reply.code(201).send({ integrationId: integration.id, ...v1Integration(integration, catalog.get(integration.app)) });
  });

  app.post('/api/v2/integrations/get-or-create', { schema: { hide, body: CreateV2Body } }, async (request) => {
    const input = createInput(request.body);
    const existing = (await integrations.forApp(request.projectId, input.app)).find((i) => input.authScheme === undefined || i.authScheme === input.authScheme);
    const integration = existing ?? (await integrations.create(request.projectId, input, request.actor));
    return { integrationId: integration.id, ...v1Integration(integration, catalog.get(integration.app)) };
  });

  app.get('/api/v1/integrations', { schema: { hide, querystring: ListQuery } }, async (request) => {
    const { appName, page, pageSize } = request.query;
    const app = appName === undefined ? undefined : appKeyOf(appName);
    const found = await pageByNumber((limit, cursor) => integrations.list(request.projectId, { app, limit, cursor }), page ?? 1, pageSize ?? 50);
    return { items: found.items.map((i) => v1Integration(i, catalog.get(i.app))), page: found.page, totalPages: found.totalPages };
  });

  app.get('/api/v1/integrations/:integrationId', { schema: { hide, params: IdParams } }, async (request) => {
    const integration = await integrations.get(request.projectId, request.params.integrationId);
    return v1Integration(integration, catalog.get(integration.app));
  });

  app.delete('/api/v1/integrations/:integrationId', { schema: { hide, params: IdParams } }, async (request) => {
    await integrations.delete(request.projectId, request.params.integrationId, request.actor);
    return { status: 'success', count: 1 };
  });
};
