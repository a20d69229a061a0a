import { AuthlinkError, CONNECTION_STATUSES, type ConnectionStatus } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { EntityIdSchema, IdSchema } from '../../schemas/common.js';
import type { RouteDeps } from '../../routes/route-deps.js';
import { fieldValuesFromComposio } from './composio-fields.js';
import { commaList } from './composio-lists.js';
import { appKeyOf, authSchemeFromComposio } from './composio-names.js';
import { ComposioAppNameSchema, ComposioAuthSchemeSchema, ComposioValuesSchema, OptionalUrlSchema, optionalUrl } from './composio-schemas.js';
import { v3ConnectedAccount, v3Initiated } from './v3-views.js';

const hide = true;
const IdParams = Type.Object({ nanoid: IdSchema });

/** Composio's statuses; INITIALIZING and REVOKED have no counterpart here, so no account has them. */
const COMPOSIO_STATUSES = ['INITIALIZING', ...CONNECTION_STATUSES, 'REVOKED'] as const;
const ComposioStatusSchema = Type.Union(COMPOSIO_STATUSES.map((s) => Type.Literal(s)));

/** Options of Composio's that authlink cannot honour: refused, so that nobody relies on them silently. */
const NotSupported = (what: string) => Type.Unknown({ description: `${what} is not supported by authlink` });

const CreateBody = Type.Object(
  {
    auth_config: Type.Object({ id: IdSchema }, { additionalProperties: false }),
    connection: Type.Object(
      {
        user_id: Type.Optional(EntityIdSchema),
        callback_url: Type.Optional(OptionalUrlSchema),
        state: Type.Optional(Type.Object({ authScheme: ComposioAuthSchemeSchema, val: ComposioValuesSchema }, { additionalProperties: false })),
        data: Type.Optional(ComposioValuesSchema),
        deprecated_is_v1_rerouted: Type.Optional(Type.Boolean()),
        alias: Type.Optional(NotSupported('alias')),
        experimental: Type.Optional(NotSupported('experimental')),
      },
      { additionalProperties: false },
    ),
    validate_credentials: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const LinkBody = Type.Object(
  {
    auth_config_id: IdSchema,
    user_id: EntityIdSchema,
    callback_url: Type.Optional(OptionalUrlSchema),
    alias: Type.Optional(NotSupported('alias')),
    experimental: Type.Optional(NotSupported('experimental')),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    user_ids: Type.Optional(Type.String({ maxLength: 8192, description: 'Comma-joined.' })),
    auth_config_ids: Type.Optional(Type.String({ maxLength: 4096 })),
    toolkit_slugs: Type.Optional(Type.String({ maxLength: 4096 })),
    statuses: Type.Optional(Type.String({ maxLength: 512 })),
    cursor: Type.Optional(Type.String({ maxLength: 256 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    // Lists are newest first; other orders are refused rather than ignored.
    order_by: Type.Optional(Type.Literal('created_at')),
    order_direction: Type.Optional(Type.Literal('desc')),
    account_type: Type.Optional(Type.Union([Type.Literal('PRIVATE'), Type.Literal('SHARED'), Type.Literal('ALL')])),
  },
  { additionalProperties: false },
);

const RefreshBody = Type.Object(
  { body_redirect_url: Type.Optional(OptionalUrlSchema), redirect_url: Type.Optional(OptionalUrlSchema), validate_credentials: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

function refuseUnsupported(values: Record<string, unknown>, path: string): void {
  const present = Object.entries(values).filter(([, value]) => value !== undefined);
  if (present.length > 0) {
    throw new AuthlinkError('VALIDATION_FAILED', `${present.map(([name]) => `${path}/${name}`).join(', ')}: not supported by authlink (see "Coming from Composio" in the README)`, {
      errors: present.map(([name]) => ({ path: `${path}/${name}`, message: 'not supported by authlink' })),
    });
  }
}

function ourStatuses(value: string | undefined): ConnectionStatus[] | undefined {
  const wanted = commaList(value, ComposioStatusSchema, '/querystring/statuses');
  return wanted?.filter((s): s is ConnectionStatus => (CONNECTION_STATUSES as readonly string[]).includes(s));
}

/** What starting a connection takes, in our names. */
interface Start {
  entityId?: string | undefined;
  redirectUrl?: string | undefined;
  data?: Record<string, string> | undefined;
  authScheme?: string | undefined;
  validate?: boolean | undefined;
}

/** @composio/core: connected accounts (`/connected_accounts`, and the hosted `/connected_accounts/link`). */
export const v3ConnectedAccountRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const { connections, integrations } = services;

  async function start(request: FastifyRequest, integrationId: string, input: Start) {
    // The auth config's scheme names the state in the answer; a missing one is a 404 before anything is written.
    const integration = await integrations.get(request.projectId, integrationId);
    const { authScheme, ...rest } = input;
    const response = await connections.initiate(
      request.projectId,
      { integrationId, ...rest, authScheme: authSchemeFromComposio(authScheme, '/connection/state/authScheme') },
      request.actor,
    );
    return { response, integration };
  }

  app.post('/connected_accounts', { schema: { hide, body: CreateBody } }, async (request, reply) => {
    const { auth_config, connection, validate_credentials } = request.body;
    refuseUnsupported({ alias: connection.alias, experimental: connection.experimental }, '/connection');
    const stateValues = fieldValuesFromComposio(connection.state?.val, '/connection/state/val');
    const dataValues = fieldValuesFromComposio(connection.data, '/connection/data');
    const { response, integration } = await start(request, auth_config.id, {
      entityId: connection.user_id,
      redirectUrl: optionalUrl(connection.callback_url),
      data: stateValues === undefined && dataValues === undefined ? undefined : { ...dataValues, ...stateValues },
      authScheme: connection.state?.authScheme,
      // Composio's switch for checking typed credentials against the app before ACTIVE is ours.
      validate: validate_credentials,
    });
    return reply.code(201).send(v3Initiated(response, integration.authScheme));
  });

  app.post('/connected_accounts/link', { schema: { hide, body: LinkBody } }, async (request, reply) => {
    const { auth_config_id, user_id, callback_url, alias, experimental } = request.body;
    refuseUnsupported({ alias, experimental }, '');
    const { response } = await start(request, auth_config_id, { entityId: user_id, redirectUrl: optionalUrl(callback_url) });
    return reply.code(201).send({ connected_account_id: response.connectedAccountId, redirect_url: response.redirectUrl, status: response.connectionStatus });
  });

  app.get('/connected_accounts', { schema: { hide, querystring: ListQuery } }, async (request) => {
    const { query } = request;
    const limit = query.limit ?? 50;
    // Every account here belongs to one user; none is shared.
    if (query.account_type === 'SHARED') return { items: [], next_cursor: null, total_pages: 1 };
    const page = await connections.list(request.projectId, {
      entityIds: commaList(query.user_ids, EntityIdSchema, '/querystring/user_ids'),
      integrationIds: commaList(query.auth_config_ids, IdSchema, '/querystring/auth_config_ids'),
      apps: commaList(query.toolkit_slugs, ComposioAppNameSchema, '/querystring/toolkit_slugs', appKeyOf),
      statuses: ourStatuses(query.statuses),
      limit,
      cursor: query.cursor,
    });
    return { items: page.items.map(v3ConnectedAccount), next_cursor: page.nextCursor, total_pages: page.nextCursor === null ? 1 : 2 };
  });

  app.get('/connected_accounts/:nanoid', { schema: { hide, params: IdParams } }, async (request) =>
    v3ConnectedAccount(await connections.get(request.projectId, request.params.nanoid)),
  );

  app.patch(
    '/connected_accounts/:nanoid/status',
    { schema: { hide, params: IdParams, body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }) } },
    async (request) => {
      const { projectId, actor, params } = request;
      await (request.body.enabled ? connections.enable(projectId, params.nanoid, actor) : connections.disable(projectId, params.nanoid, actor));
      return { success: true };
    },
  );

  app.post(
    '/connected_accounts/:nanoid/refresh',
    {
      schema: { hide, params: IdParams, querystring: Type.Object({ redirect_url: Type.Optional(OptionalUrlSchema) }, { additionalProperties: false }), body: RefreshBody },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const { projectId, actor, params } = request;
      const account = await connections.get(projectId, params.nanoid);
      // ACTIVE: renew the credentials now. Anything else needs the user again: start the flow anew.
      if (account.status === 'ACTIVE') {
        const refreshed = await connections.refresh(projectId, account.id, actor);
        return { id: refreshed.id, status: refreshed.status, redirect_url: null };
      }
      const redirectUrl = optionalUrl(request.body.body_redirect_url ?? request.body.redirect_url ?? request.query.redirect_url);
      const response = await connections.reinitiate(projectId, account.id, { redirectUrl, validate: request.body.validate_credentials }, actor);
      return { id: response.connectedAccountId, status: response.connectionStatus, redirect_url: response.redirectUrl };
    },
  );

  app.delete(
    '/connected_accounts/:nanoid',
    { schema: { hide, params: IdParams, querystring: Type.Object({ revoke_on_delete: Type.Optional(Type.Boolean()) }, { additionalProperties: false }) } },
    async (request) => {
      if (request.query.revoke_on_delete === false) {
        throw new AuthlinkError('VALIDATION_FAILED', 'authlink always revokes the tokens at the provider when it can before erasing an account; revoke_on_delete=false is not supported', {
          errors: [{ path: '/querystring/revoke_on_delete', message: 'not supported' }],
        });
      }
      const { revocation } = await connections.delete(request.projectId, request.params.nanoid, request.actor);
      return { success: true, revocation };
    },
  );
};
