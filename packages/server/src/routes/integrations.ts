import type { Integration } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppKeySchema, ErrorResponses, IdSchema, PageQuerySchema, pageOf } from '../schemas/common.js';
import { CreateIntegrationBody, IntegrationSchema, UpdateIntegrationBody } from '../schemas/resources.js';
import type { RouteDeps } from './route-deps.js';

/** The public view: endpoints and client id yes, client secret never. */
export function integrationView(integration: Integration) {
  const { config } = integration;
  const authConfig: Record<string, string | boolean> = {};
  for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl', 'baseUrl', 'issuer', 'tokenEndpointAuthMethod', 'pkce'] as const) {
    const value = config[key];
    if (value !== undefined) authConfig[key] = value;
  }
  return {
    id: integration.id,
    app: integration.app,
    name: integration.name,
    authScheme: integration.authScheme,
    scopes: integration.scopes,
    clientId: integration.clientId,
    hasClientSecret: integration.hasClientSecret,
    authConfig,
    createdAt: integration.createdAt,
    updatedAt: integration.updatedAt,
  };
}

const IdParams = Type.Object({ id: IdSchema });

export const integrationRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.post(
    '/integrations',
    { schema: { tags: ['integrations'], summary: 'Create an integration', body: CreateIntegrationBody, response: { 201: IntegrationSchema, ...ErrorResponses } } },
    async (request, reply) => {
      const integration = await services.integrations.create(request.projectId, request.body, request.actor);
      return reply.code(201).send(integrationView(integration));
    },
  );

  app.get(
    '/integrations',
    {
      schema: {
        tags: ['integrations'],
        summary: 'List integrations',
        querystring: Type.Object({ app: Type.Optional(AppKeySchema), ...PageQuerySchema }, { additionalProperties: false }),
        response: { 200: pageOf(IntegrationSchema), ...ErrorResponses },
      },
    },
    async (request) => {
      const page = await services.integrations.list(request.projectId, { app: request.query.app, limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { items: page.items.map(integrationView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/integrations/:id',
    { schema: { tags: ['integrations'], summary: 'Get an integration', params: IdParams, response: { 200: IntegrationSchema, ...ErrorResponses } } },
    async (request) => integrationView(await services.integrations.get(request.projectId, request.params.id)),
  );

  app.patch(
    '/integrations/:id',
    {
      schema: { tags: ['integrations'], summary: 'Update an integration', params: IdParams, body: UpdateIntegrationBody, response: { 200: IntegrationSchema, ...ErrorResponses } },
    },
    async (request) => {
      const { scopes, authConfig, name } = request.body;
      const merged = scopes === undefined ? authConfig : { ...authConfig, scopes };
      return integrationView(await services.integrations.update(request.projectId, request.params.id, { name, authConfig: merged }, request.actor));
    },
  );

  app.delete(
    '/integrations/:id',
    { schema: { tags: ['integrations'], summary: 'Delete an integration that has no connected accounts', params: IdParams, response: { 204: Type.Null(), ...ErrorResponses } } },
    async (request, reply) => {
      await services.integrations.delete(request.projectId, request.params.id, request.actor);
      return reply.code(204).send(null);
    },
  );
};
