import type { AuthenticatedKey, ProjectService } from '@authlink/core';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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

/**
 * An onRequest hook: the API key decides the project, or the request ends with 401. Callback
 * style, and synchronous when the key is already known (nearly every request): no promise per call.
 */
export function apiKeyAuth(projects: ProjectService, limiter: FailedAuthLimiter) {
  const refuse = (request: FastifyRequest, reply: FastifyReply, key: string | undefined): void => {
    if (key !== undefined) limiter.recordFailure(request.ip);
    reply.header('www-authenticate', 'Bearer realm="authlink"');
    sendProblem(reply, problemOf('UNAUTHORIZED', key === undefined ? 'pass the API key in x-api-key or Authorization: Bearer' : 'the API key is not valid'));
  };
  const settle = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, key: string, authenticated: AuthenticatedKey | undefined): void => {
    if (authenticated === undefined) {
      refuse(request, reply, key);
      return;
    }
    request.projectId = authenticated.projectId;
    request.actor = `key:${authenticated.keyId}`;
    done();
  };
  return function authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const blockedFor = limiter.blockedFor(request.ip);
    if (blockedFor > 0) {
      reply.header('retry-after', String(blockedFor));
      sendProblem(reply, problemOf('RATE_LIMITED', `too many failed API key attempts from this address; retry in ${blockedFor} s`));
      return;
    }
    const key = presentedKey(request);
    if (key === undefined) {
      refuse(request, reply, undefined);
      return;
    }
    const known = projects.authenticateCached(key);
    if (known !== 'unknown') settle(request, reply, done, key, known);
    else {
      projects.authenticate(key).then(
        (authenticated) => settle(request, reply, done, key, authenticated),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    }
  };
}
