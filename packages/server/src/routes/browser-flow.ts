import { AuthlinkError, type ConnectForm, type FlowEnd, type RedirectOutcome } from '@authlink/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { renderConnectForm } from '../pages/connect-form-page.js';
import { renderFailurePage, renderSuccessPage } from '../pages/flow-result-page.js';
import { formPageHeaders, PAGE_HEADERS } from '../pages/html.js';
import type { RouteDeps } from './route-deps.js';

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) });
const FormBody = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 8192 }), { maxProperties: 32 });

function page(reply: FastifyReply, status: number, html: string, headers: Readonly<Record<string, string>> = PAGE_HEADERS): FastifyReply {
  return reply.code(status).headers(headers).send(html);
}

function formPage(reply: FastifyReply, status: number, form: ConnectForm, action: string): FastifyReply {
  return page(reply, status, renderConnectForm(form, action), formPageHeaders(action, form.continuesTo));
}

const FLOW_COOKIE = 'authlink_flow';

/** The cookie that ties the callback to this browser; only ever sent to the callback path. */
function flowCookie(value: string, publicUrl: string, maxAgeSeconds: number): string {
  const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
  // Lax: sent on the top-level navigation back from the provider, never on cross-site subrequests.
  return `${FLOW_COOKIE}=${value}; Path=/oauth/callback; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function finish(reply: FastifyReply, end: FlowEnd): FastifyReply {
  if (end.location) return reply.code(303).header('referrer-policy', 'no-referrer').redirect(end.location, 303);
  if (end.status === 'success') return page(reply, 200, renderSuccessPage(end.appDisplayName ?? 'The app'));
  return page(reply, end.error === 'invalid_state' || end.error === 'connection_not_pending' ? 400 : 200, renderFailurePage(end.error ?? 'failed', end.appDisplayName));
}

function redirectToProvider(reply: FastifyReply, outcome: RedirectOutcome, status: 302 | 303, publicUrl: string): FastifyReply {
  if (outcome.browserBinding !== undefined) reply.header('set-cookie', flowCookie(outcome.browserBinding, publicUrl, 600));
  return reply.header('referrer-policy', 'no-referrer').redirect(outcome.location, status);
}

/** Browser-facing routes: no API key; the unguessable token or state is the credential. */
export const browserFlowRoutes: FastifyPluginAsyncTypebox<RouteDeps & { publicUrl: string; perMinute: number }> = async (app, { services, publicUrl, perMinute }) => {
  // Links and states are unguessable; the limit keeps anyone from trying anyway, and bounds load.
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: 429 }),
  });

  // Browser routes answer with pages, not JSON problems.
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AuthlinkError && error.code === 'CONNECT_LINK_INVALID') return page(reply, 410, renderFailurePage('link_invalid'));
    if (error instanceof AuthlinkError && error.status < 500) return page(reply, error.status, renderFailurePage(error.code.toLowerCase()));
    if ((error as { validation?: unknown }).validation) return page(reply, 400, renderFailurePage('link_invalid'));
    // Fastify's own client errors (unparsable or oversized body, wrong content type).
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 429) return page(reply, 429, renderFailurePage('rate_limited'));
    if (status !== undefined && status >= 400 && status < 500) return page(reply, status, renderFailurePage('bad_request'));
    request.log.error({ err: error }, 'browser flow failed');
    return page(reply, 500, renderFailurePage('server_error'));
  });

  app.get('/connect/:token', { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    const outcome = await services.connectFlow.open(request.params.token);
    if (outcome.kind === 'redirect') return redirectToProvider(reply, outcome, 302, publicUrl);
    return formPage(reply, 200, outcome.form, `${publicUrl}/connect/${request.params.token}`);
  });

  app.post('/connect/:token', { schema: { hide: true, params: TokenParams, body: FormBody } }, async (request, reply) => {
    const outcome = await services.connectFlow.submit(request.params.token, request.body);
    if (outcome.kind === 'form') return formPage(reply, 400, outcome.form, `${publicUrl}/connect/${request.params.token}`);
    if (outcome.kind === 'redirect') return redirectToProvider(reply, outcome, 303, publicUrl);
    return finish(reply, outcome.end);
  });

  app.get('/oauth/callback', { schema: { hide: true } }, async (request, reply) => {
    const end = await services.connectFlow.callback(new URL(request.url, `${publicUrl}/`), readCookie(request.headers.cookie, FLOW_COOKIE));
    reply.header('set-cookie', flowCookie('', publicUrl, 0));
    return finish(reply, end);
  });
};
