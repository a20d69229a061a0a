import type { ProjectService } from '@authlink/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemOf, sendProblem } from './problem-details.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the request's API key opens; set on every /api route. */
    projectId: string;
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return undefined;
}

/** An onRequest hook: the API key decides the project, or the request ends with 401. */
export function apiKeyAuth(projects: ProjectService) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const key = presentedKey(request);
    const projectId = key === undefined ? undefined : await projects.authenticate(key);
    if (projectId === undefined) {
      reply.header('www-authenticate', 'Bearer realm="authlink"');
      await sendProblem(reply, problemOf('UNAUTHORIZED', key === undefined ? 'pass the API key in x-api-key or Authorization: Bearer' : 'the API key is not valid'));
      return;
    }
    request.projectId = projectId;
  };
}
