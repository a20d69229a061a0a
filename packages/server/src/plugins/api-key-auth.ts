import type { ProjectService } from '@authlink/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { problemOf, sendProblem } from './problem-details.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the request's API key opens; set on every /api route. */
    projectId: string;
    /** Who is acting, for the audit log: `key:<api key id>`. */
    actor: string;
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
export function apiKeyAuth(projects: ProjectService, limiter: FailedAuthLimiter) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const blockedFor = limiter.blockedFor(request.ip);
    if (blockedFor > 0) {
      reply.header('retry-after', String(blockedFor));
      await sendProblem(reply, problemOf('RATE_LIMITED', `too many failed API key attempts from this address; retry in ${blockedFor} s`));
      return;
    }
    const key = presentedKey(request);
    const authenticated = key === undefined ? undefined : await projects.authenticate(key);
    if (authenticated === undefined) {
      if (key !== undefined) limiter.recordFailure(request.ip);
      reply.header('www-authenticate', 'Bearer realm="authlink"');
      await sendProblem(reply, problemOf('UNAUTHORIZED', key === undefined ? 'pass the API key in x-api-key or Authorization: Bearer' : 'the API key is not valid'));
      return;
    }
    request.projectId = authenticated.projectId;
    request.actor = `key:${authenticated.keyId}`;
  };
}
