import type { ConnectedAccount } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppKeySchema, ConnectionStatusSchema, EntityIdSchema, ErrorResponses, IdSchema, LabelSchema, LabelsSchema, PageQuerySchema, pageOf } from '../schemas/common.js';
import {
  ConnectedAccountSchema,
  ConnectionResponseSchema,
  CredentialsResponseSchema,
  InitiateBody,
  ReinitiateBody,
} from '../schemas/resources.js';
import type { RouteDeps } from './route-deps.js';

export function connectedAccountView(account: ConnectedAccount) {
  return {
    id: account.id,
    status: account.status,
    statusReason: account.statusReason,
    entityId: account.entityId,
    integrationId: account.integrationId,
    app: account.app,
    authScheme: account.authScheme,
    labels: account.labels,
    data: account.data,
    accountIdentity: account.accountIdentity,
    requestedScopes: account.requestedScopes,
    grantedScopes: account.grantedScopes,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

const IdParams = Type.Object({ id: IdSchema });
const tags = ['connected accounts'];

export const connectedAccountRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { connections } = services;

  app.post(
    '/connected-accounts',
    {
      schema: {
        tags,
        summary: 'Initiate a connection',
        description: 'OAuth answers INITIATED with the URL the end user opens; other schemes answer ACTIVE when `data` holds every field, else INITIATED with a hosted form.',
        body: InitiateBody,
        response: { 201: ConnectionResponseSchema, ...ErrorResponses },
      },
    },
    async (request, reply) => {
      const { connectedAccountParams, data, ...rest } = request.body;
      const response = await connections.initiate(request.projectId, { ...rest, data: data ?? connectedAccountParams }, request.actor);
      return reply.code(201).send(response);
    },
  );

  app.get(
    '/connected-accounts',
    {
      schema: {
        tags,
        summary: 'List connected accounts',
        querystring: Type.Object(
          {
            entityId: Type.Optional(EntityIdSchema),
            app: Type.Optional(AppKeySchema),
            integrationId: Type.Optional(IdSchema),
            status: Type.Optional(ConnectionStatusSchema),
            labels: Type.Optional(Type.Array(LabelSchema, { maxItems: 32, description: 'Repeat the parameter; an account matches when it has all.' })),
            accountIdentity: Type.Optional(
              Type.String({ minLength: 1, maxLength: 320, description: "The provider account's id, login or email (email case-insensitive)." }),
            ),
            ...PageQuerySchema,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(ConnectedAccountSchema), ...ErrorResponses },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      const page = await connections.list(request.projectId, { ...filter, limit: limit ?? 50 });
      return { items: page.items.map(connectedAccountView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/connected-accounts/:id',
    { schema: { tags, summary: 'Get a connected account (never its secrets)', params: IdParams, response: { 200: ConnectedAccountSchema, ...ErrorResponses } } },
    async (request) => connectedAccountView(await connections.get(request.projectId, request.params.id)),
  );

  app.get(
    '/connected-accounts/:id/credentials',
    {
      schema: {
        tags,
        summary: "Read an ACTIVE account's credentials",
        description: 'The refresh token and ID token are returned only with includeRefreshToken=true.',
        params: IdParams,
        querystring: Type.Object({ includeRefreshToken: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: CredentialsResponseSchema, ...ErrorResponses },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return connections.credentials(request.projectId, request.params.id, { includeRefreshToken: request.query.includeRefreshToken === true }, request.actor);
    },
  );

  app.post(
    '/connected-accounts/:id/refresh',
    { schema: { tags, summary: 'Refresh the credentials now', params: IdParams, response: { 200: ConnectedAccountSchema, ...ErrorResponses } } },
    async (request) => connectedAccountView(await connections.refresh(request.projectId, request.params.id, request.actor)),
  );

  app.post(
    '/connected-accounts/:id/disable',
    { schema: { tags, summary: 'Disable (ACTIVE → INACTIVE)', params: IdParams, response: { 200: ConnectedAccountSchema, ...ErrorResponses } } },
    async (request) => connectedAccountView(await connections.disable(request.projectId, request.params.id, request.actor)),
  );

  app.post(
    '/connected-accounts/:id/enable',
    { schema: { tags, summary: 'Enable (INACTIVE → ACTIVE)', params: IdParams, response: { 200: ConnectedAccountSchema, ...ErrorResponses } } },
    async (request) => connectedAccountView(await connections.enable(request.projectId, request.params.id, request.actor)),
  );

  app.post(
    '/connected-accounts/:id/reinitiate',
    {
      schema: {
        tags,
        summary: 'Start the flow again for an account that is not ACTIVE',
        params: IdParams,
        body: ReinitiateBody,
        response: { 200: ConnectionResponseSchema, ...ErrorResponses },
      },
      // Everything in the body is optional, so no body at all means an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => connections.reinitiate(request.projectId, request.params.id, request.body, request.actor),
  );

  app.post(
    '/connected-accounts/:id/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm the user who finished the flow (projects with a confirmationUrl)',
        params: IdParams,
        body: Type.Object({ confirmationCode: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
        response: { 200: ConnectedAccountSchema, ...ErrorResponses },
      },
    },
    async (request) => connectedAccountView(await connections.confirm(request.projectId, request.params.id, request.body.confirmationCode, request.actor)),
  );

  app.patch(
    '/connected-accounts/:id',
    {
      schema: {
        tags,
        summary: 'Replace the labels',
        params: IdParams,
        body: Type.Object({ labels: LabelsSchema }, { additionalProperties: false }),
        response: { 200: ConnectedAccountSchema, ...ErrorResponses },
      },
    },
    async (request) => connectedAccountView(await connections.updateLabels(request.projectId, request.params.id, request.body.labels)),
  );

  app.delete(
    '/connected-accounts/:id',
    {
      schema: {
        tags,
        summary: 'Delete the account and erase its credentials',
        description: 'Tokens are first revoked at the provider (RFC 7009) when the app has a revocation endpoint; the account is erased even when that fails.',
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String(),
            deleted: Type.Literal(true),
            revocation: Type.Union(['succeeded', 'failed', 'not_supported', 'not_applicable'].map((v) => Type.Literal(v))),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { revocation } = await connections.delete(request.projectId, request.params.id, request.actor);
      return { id: request.params.id, deleted: true as const, revocation };
    },
  );
};
