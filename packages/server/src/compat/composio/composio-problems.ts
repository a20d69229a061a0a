import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemOf, sendProblem, type Problem } from '../../plugins/problem-details.js';

/**
 * A problem (RFC 9457) with the extension members Composio's clients read: `message` (the error
 * text of both SDKs), `name` and `details` (composio-core builds its message and validation
 * report from them) and `error` (the envelope of Composio's v3 API).
 */
export function withComposioMembers(problem: Problem) {
  return {
    ...problem,
    message: problem.detail,
    name: problem.code,
    details: problem.errors ?? [{ path: '', message: problem.detail }],
    error: { message: problem.detail, code: problem.code, slug: problem.code, status: problem.status },
  };
}

function isProblem(reply: FastifyReply, payload: unknown): payload is string {
  return typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json');
}

/** Every problem this scope answers (domain errors, validation, API key, unknown route) in the shape above. */
export function registerComposioProblems(app: FastifyInstance): void {
  app.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (!isProblem(reply, payload)) return payload;
    const problem = JSON.parse(payload) as Problem;
    // The v3 client retries 409s and 5xx unless told not to; a refused request gets the same answer again.
    if (problem.status < 500 && problem.status !== 429) reply.header('x-should-retry', 'false');
    return JSON.stringify(withComposioMembers(problem));
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemOf('NOT_FOUND', `authlink's Composio compatibility layer does not offer ${request.method} ${request.url.split('?')[0] ?? ''} (see "Coming from Composio" in the README)`),
    ),
  );
}
