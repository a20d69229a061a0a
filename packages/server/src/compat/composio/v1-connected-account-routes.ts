import { AuthlinkError, CONNECTION_STATUSES, type ConnectionStatus, type InitiateInput } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ConnectionStatusSchema, EntityIdSchema, IdSchema, LabelSchema, LabelsSchema } from '../../schemas/common.js';
import type { RouteDeps } from '../../routes/route-deps.js';
import { authConfigFromComposio, fieldValuesFromComposio } from './composio-fields.js';
import { commaList, pageByNumber } from './composio-lists.js';
import { appKeyOf, authSchemeFromComposio } from './composio-names.js';
import { ComposioAppNameSchema, ComposioAuthSchemeSchema, ComposioValuesSchema, OptionalUrlSchema, optionalUrl } from './composio-schemas.js';
import { v1ConnectedAccount } from './v1-views.js';

const hide = true;
const IdParams = Type.Object({ id: IdSchema });

/** composio-core's `entity.initiateConnection` / `connectedAccounts.initiate`. */
const InitiateV2Body = Type.Object(
  {
    app: Type.Object({ uniqueKey: Type.Optional(ComposioAppNameSchema), integrationId: Type.Optional(IdSchema) }, { additionalProperties: false }),
    config: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ maxLength: 200 })),
          useComposioAuth: Type.Optional(Type.Boolean()),
          authScheme: Type.Optional(ComposioAuthSchemeSchema),
          integrationSecrets: Type.Optional(ComposioValuesSchema),
        },
        { additionalProperties: false },
      ),
    ),
    connection: Type.Optional(
      Type.Object(
        {
          entityId: Type.Optional(EntityIdSchema),
          initiateData: Type.Optional(ComposioValuesSchema),
          extra: Type.Optional(Type.Object({ redirectURL: Type.Optional(OptionalUrlSchema), labels: Type.Optional(LabelsSchema) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The older `POST /api/v1/connectedAccounts` (composio-core's `saveUserAccessData`, Composio's Python SDK). */
const InitiateV1Body = Type.Object(
  {
    integrationId: IdSchema,
    data: Type.Optional(ComposioValuesSchema),
    redirectUri: Type.Optional(OptionalUrlSchema),
    entityId: Type.Optional(EntityIdSchema),
    userUuid: Type.Optional(EntityIdSchema),
    labels: Type.Optional(LabelsSchema),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    user_uuid: Type.Optional(EntityIdSchema),
    entityId: Type.Optional(EntityIdSchema),
    appNames: Type.Optional(Type.String({ maxLength: 2048, description: 'Comma-joined app names.' })),
    // composio-core folds appUniqueKeys into appNames and sends both, the list as `appUniqueKeys[]`.
    'appUniqueKeys[]': Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
    integrationId: Type.Optional(IdSchema),
    labels: Type.Optional(Type.String({ maxLength: 2048, description: 'Comma-joined; an account matches when it has all of them.' })),
    status: Type.Optional(ConnectionStatusSchema),
    showActiveOnly: Type.Optional(Type.Boolean()),
    showDisabled: Type.Optional(Type.Boolean()),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

const ReinitiateBody = Type.Object({ data: Type.Optional(ComposioValuesSchema), redirectUri: Type.Optional(OptionalUrlSchema) }, { additionalProperties: false });

/** Composio lists leave disabled accounts out unless asked for them. */
const ENABLED_STATUSES: readonly ConnectionStatus[] = CONNECTION_STATUSES.filter((s) => s !== 'INACTIVE');

function listedStatuses(query: { status?: ConnectionStatus | undefined; showActiveOnly?: boolean | undefined; showDisabled?: boolean | undefined }): readonly ConnectionStatus[] | undefined {
  if (query.status !== undefined) return [query.status];
  if (query.showActiveOnly === true) return ['ACTIVE'];
  return query.showDisabled === true ? undefined : ENABLED_STATUSES;
}

function singleEntity(query: { user_uuid?: string | undefined; entityId?: string | undefined }): string | undefined {
  if (query.user_uuid !== undefined && query.entityId !== undefined && query.user_uuid !== query.entityId) {
    throw new AuthlinkError('VALIDATION_FAILED', 'user_uuid and entityId name the same filter; pass one, or the same value', {
      errors: [{ path: '/querystring/entityId', message: 'differs from user_uuid' }],
    });
  }
  return query.entityId ?? query.user_uuid;
}

/** composio-core 0.5: connected accounts, and connecting one. */
export const v1ConnectedAccountRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { connections } = services;
  const initiate = (request: FastifyRequest, input: InitiateInput) => connections.initiate(request.projectId, input, request.actor);

  app.post('/api/v2/connectedAccounts/initiateConnection', { schema: { hide, body: InitiateV2Body } }, async (request, reply) => {
    const { app: target, config, connection } = request.body;
    const response = await initiate(request, {
      integrationId: target.integrationId,
      app: target.uniqueKey === undefined ? undefined : appKeyOf(target.uniqueKey),
      authScheme: authSchemeFromComposio(config?.authScheme, '/config/authScheme'),
      authConfig: authConfigFromComposio(config?.integrationSecrets, '/config/integrationSecrets'),
      entityId: connection?.entityId,
      data: fieldValuesFromComposio(connection?.initiateData, '/connection/initiateData'),
      redirectUrl: optionalUrl(connection?.extra?.redirectURL),
      labels: connection?.extra?.labels,
    });
    return reply.code(201).send({ connectionResponse: response });
  });

  app.post('/api/v1/connectedAccounts', { schema: { hide, body: InitiateV1Body } }, async (request, reply) => {
    const { integrationId, data, redirectUri, entityId, userUuid, labels } = request.body;
    const response = await initiate(request, {
      integrationId,
      entityId: entityId ?? userUuid,
      data: fieldValuesFromComposio(data, '/data'),
      redirectUrl: optionalUrl(redirectUri),
      labels,
    });
    return reply.code(201).send(response);
  });

  app.get('/api/v1/connectedAccounts', { schema: { hide, querystring: ListQuery } }, async (request) => {
    const { query } = request;
    const pageSize = query.pageSize ?? 50;
    const filter = {
      entityId: singleEntity(query),
      apps: commaList(query.appNames, ComposioAppNameSchema, '/querystring/appNames', appKeyOf),
      integrationId: query.integrationId,
      labels: commaList(query.labels, LabelSchema, '/querystring/labels'),
      statuses: listedStatuses(query),
    };
    const page = await pageByNumber((limit, cursor) => connections.list(request.projectId, { ...filter, limit, cursor }), query.page ?? 1, pageSize);
    return { items: page.items.map(v1ConnectedAccount), page: page.page, totalPages: page.totalPages };
  });

  app.get('/api/v1/connectedAccounts/:id', { schema: { hide, params: IdParams } }, async (request) =>
    v1ConnectedAccount(await connections.get(request.projectId, request.params.id)),
  );

  app.post(
    '/api/v1/connectedAccounts/:id/reinitiate',
    {
      schema: { hide, params: IdParams, body: ReinitiateBody },
      // Everything in the body is optional, so no body at all means an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const { data, redirectUri } = request.body;
      const input = { data: fieldValuesFromComposio(data, '/data'), redirectUrl: optionalUrl(redirectUri) };
      return connections.reinitiate(request.projectId, request.params.id, input, request.actor);
    },
  );

  app.post('/api/v1/connectedAccounts/:id/disable', { schema: { hide, params: IdParams } }, async (request) => {
    await connections.disable(request.projectId, request.params.id, request.actor);
    return { status: 'success', connectedAccountId: request.params.id };
  });

  app.post('/api/v1/connectedAccounts/:id/enable', { schema: { hide, params: IdParams } }, async (request) => {
    await connections.enable(request.projectId, request.params.id, request.actor);
    return { status: 'success', connectedAccountId: request.params.id };
  });

  app.delete('/api/v1/connectedAccounts/:id', { schema: { hide, params: IdParams } }, async (request) => {
    const { revocation } = await connections.delete(request.projectId, request.params.id, request.actor);
    return { status: 'success', count: 1, revocation };
  });
};
