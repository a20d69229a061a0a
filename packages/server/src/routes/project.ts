import { AUDIT_ACTIONS } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponses, IdSchema, PageQuerySchema, UrlSchema, pageOf } from '../schemas/common.js';
import type { RouteDeps } from './route-deps.js';

const ProjectSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  allowedRedirectUrls: Type.Array(Type.String()),
  requireSameBrowser: Type.Boolean(),
  confirmationUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

const ProjectUpdateBody = Type.Object(
  {
    allowedRedirectUrls: Type.Optional(Type.Array(UrlSchema, { maxItems: 100, description: 'Origins or URL prefixes; empty allows any http(s) URL.' })),
    requireSameBrowser: Type.Optional(Type.Boolean({ description: 'The OAuth callback must come from the browser that opened the connect link.' })),
    confirmationUrl: Type.Optional(Type.Union([UrlSchema, Type.Null()], { description: 'Your endpoint that confirms the user before a connection becomes ACTIVE.' })),
  },
  { additionalProperties: false },
);

const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});

const IsoTime = Type.String({ format: 'date-time' });

/** The calling project itself: its security settings and its audit trail. */
export const projectRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/project',
    { schema: { tags: ['project'], summary: "The API key's project and its settings", response: { 200: ProjectSchema, ...ErrorResponses } } },
    async (request) => services.projects.settings(request.projectId),
  );

  app.patch(
    '/project',
    {
      schema: { tags: ['project'], summary: 'Change the redirect allow-list and flow binding settings', body: ProjectUpdateBody, response: { 200: ProjectSchema, ...ErrorResponses } },
    },
    async (request) => services.projects.updateSettings(request.projectId, request.body, request.actor),
  );

  app.get(
    '/audit',
    {
      schema: {
        tags: ['project'],
        summary: 'The audit log: credential reads, proxy use, key creation, integration and status changes',
        querystring: Type.Object(
          {
            action: Type.Optional(Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)))),
            targetId: Type.Optional(IdSchema),
            actor: Type.Optional(Type.String({ maxLength: 80 })),
            since: Type.Optional(IsoTime),
            until: Type.Optional(IsoTime),
            ...PageQuerySchema,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(AuditEventSchema), ...ErrorResponses },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      const page = await services.audit.list(request.projectId, { ...filter, limit: limit ?? 50 });
      return { items: page.items.map(({ projectId: _projectId, ...event }) => event), nextCursor: page.nextCursor };
    },
  );
};
