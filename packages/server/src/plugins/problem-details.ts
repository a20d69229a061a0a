import { AuthlinkError, ERROR_CODES, type ErrorCode, type FieldProblem } from '@authlink/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  errors?: FieldProblem[];
}

export function problemOf(code: ErrorCode, detail: string, errors?: FieldProblem[]): Problem {
  const problem: Problem = { type: `urn:authlink:error:${code}`, title: ERROR_CODES[code].title, status: ERROR_CODES[code].status, detail, code };
  if (errors && errors.length > 0) problem.errors = errors;
  return problem;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Fastify's own 4xx errors (bad JSON, wrong content type, body too large…) mapped to our codes. */
function frameworkProblem(error: FastifyError): Problem | undefined {
  if (error.validation) {
    const errors = error.validation.map((v) => ({
      path: `${error.validationContext === 'body' ? '/body' : `/${error.validationContext ?? 'request'}`}${v.instancePath}${
        v.keyword === 'required' ? `/${String((v.params as { missingProperty?: string }).missingProperty)}` : v.keyword === 'additionalProperties' ? `/${String((v.params as { additionalProperty?: string }).additionalProperty)}` : ''
      }`,
      message: v.keyword === 'additionalProperties' ? 'unknown property' : (v.message ?? 'invalid'),
    }));
    return problemOf('VALIDATION_FAILED', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return problemOf('PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (status === 415) return problemOf('UNSUPPORTED_MEDIA_TYPE', error.message);
  if (status === 404) return problemOf('NOT_FOUND', 'no such route');
  if (status >= 400 && status < 500) return problemOf('VALIDATION_FAILED', error.message);
  return undefined;
}

/**
 * The one place errors become answers. A domain error carries its code; Fastify's client errors
 * are mapped; anything else is our bug: logged with its cause, answered with a bare 500.
 */
export function registerProblemDetails(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AuthlinkError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return sendProblem(reply, problemOf(error.code, error.message, error.errors));
    }
    const problem = frameworkProblem(error);
    if (problem) return sendProblem(reply, problem);
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, problemOf('INTERNAL_ERROR', 'an internal error occurred; it has been logged'));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problemOf('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
