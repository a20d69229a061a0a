import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EntityIdSchema, ErrorResponses } from '../schemas/common.js';
import { EntitySchema } from '../schemas/resources.js';
import { connectedAccountView } from './connected-accounts.js';
import type { RouteDeps } from './route-deps.js';

const Params = Type.Object({ entityId: EntityIdSchema });

export const entityRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/entities/:entityId',
    { schema: { tags: ['entities'], summary: 'Get an entity and its connected accounts', params: Params, response: { 200: EntitySchema, ...ErrorResponses } } },
    async (request) => {
      const entity = await services.connections.getEntity(request.projectId, request.params.entityId);
      return { id: entity.id, connectedAccounts: entity.connectedAccounts.map(connectedAccountView) };
    },
  );

  app.delete(
    '/entities/:entityId',
    { schema: { tags: ['entities'], summary: 'Erase an entity and all its accounts', params: Params, response: { 204: Type.Null(), ...ErrorResponses } } },
    async (request, reply) => {
      await services.connections.deleteEntity(request.projectId, request.params.entityId);
      return reply.code(204).send(null);
    },
  );
};
