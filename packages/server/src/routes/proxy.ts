import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { AuthlinkError, type AuthorizedTarget } from '@authlink/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { REQUEST_BODY_HEADERS, headersForCaller, headersForUpstream } from '../proxy/forwarded-headers.js';
import { buildUpstreamUrl, checkCallerPath, mergeQuery, redirectTarget, splitCallerTarget, type CallerTarget } from '../proxy/proxy-target.js';
import type { UpstreamClient, UpstreamResponse } from '../proxy/upstream-client.js';
import { ErrorResponses, IdSchema, ProblemSchema } from '../schemas/common.js';
import type { RouteDeps } from './route-deps.js';

export interface ProxyRouteDeps extends RouteDeps {
  upstream: UpstreamClient;
}

/** Request bodies up to this size are kept, so the request can be sent again after a 401 or a redirect. */
const REPLAYABLE_BODY_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

type OutgoingBody =
  | { kind: 'none' }
  | { kind: 'buffered'; bytes: Buffer }
  /** Larger than REPLAYABLE_BODY_BYTES: sent as it arrives, once. */
  | { kind: 'streamed'; stream: Readable; length: string | undefined };

/** One attempt's request: the same caller input with one set of credentials. */
interface PreparedRequest {
  url: URL;
  headers: Record<string, string>;
  credentialQuery: URLSearchParams;
}

async function* chunksThenRest(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** Keeps a body of up to REPLAYABLE_BODY_BYTES in memory; a larger one streams on untouched. */
async function readBody(body: unknown, declaredLength: string | undefined): Promise<OutgoingBody> {
  if (!(body instanceof Readable)) return { kind: 'none' };
  if (declaredLength !== undefined && Number(declaredLength) > REPLAYABLE_BODY_BYTES) return { kind: 'streamed', stream: body, length: declaredLength };
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    chunks.push(next.value);
    size += next.value.length;
    if (size > REPLAYABLE_BODY_BYTES) {
      return { kind: 'streamed', stream: Readable.from(chunksThenRest(chunks, iterator), { objectMode: false }), length: declaredLength };
    }
  }
  return { kind: 'buffered', bytes: Buffer.concat(chunks) };
}

/**
 * Defaults of the app, then the caller's fields, then the account's credentials over both. Schemes
 * that sign each request (OAuth 1.0a) see the method, the URL and a form body's parameters.
 */
function prepare(target: AuthorizedTarget, caller: CallerTarget, callerHeaders: Record<string, string>, method: string, body: OutgoingBody): PreparedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.defaultHeaders)) headers[name.toLowerCase()] = value;
  Object.assign(headers, callerHeaders);
  const credentialQuery = new URLSearchParams();
  const isForm = headers['content-type']?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
  let signedUrl: URL | undefined;
  target.applyCredentials({
    headers,
    query: credentialQuery,
    method,
    // Only schemes that sign each request read the URL: built when first asked for.
    get url() {
      signedUrl ??= buildUpstreamUrl(target.baseUrl, caller, new URLSearchParams());
      return signedUrl;
    },
    ...(isForm && body.kind === 'buffered' && { form: new URLSearchParams(body.bytes.toString('utf8')) }),
  });
  return { url: buildUpstreamUrl(target.baseUrl, caller, credentialQuery), headers, credentialQuery };
}

function sameCredentials(a: PreparedRequest, b: PreparedRequest): boolean {
  return a.url.href === b.url.href && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !REQUEST_BODY_HEADERS.includes(name)));
}

/** Drops an answer that will not be relayed; undici reports the destroy as an error nobody awaits. */
function discard(response: UpstreamResponse): void {
  response.body.on('error', () => {});
  response.body.destroy();
}

function locationOf(response: UpstreamResponse): string | undefined {
  const location = response.headers['location'];
  return Array.isArray(location) ? location[0] : location;
}

interface Exchange {
  upstream: UpstreamClient;
  base: URL;
  method: string;
  body: OutgoingBody;
  signal: AbortSignal | EventEmitter;
}

/**
 * Sends one prepared request and follows redirects that stay on the base URL, at most
 * MAX_REDIRECTS, while the body can be sent again. A redirect anywhere else is refused and its
 * Location never requested. 303, and 301/302 after POST, continue as GET without a body
 * (RFC 9110 §15.4.2–§15.4.4); 307/308 repeat the method and body (§15.4.8, §15.4.9).
 */
async function exchange({ upstream, base, method, body, signal }: Exchange, prepared: PreparedRequest): Promise<UpstreamResponse> {
  let url = prepared.url;
  let headers = prepared.headers;
  let currentMethod = method;
  let currentBody = body;
  for (let hop = 0; ; hop += 1) {
    const sentHeaders = currentBody.kind === 'streamed' && currentBody.length !== undefined ? { ...headers, 'content-length': currentBody.length } : headers;
    const payload = currentBody.kind === 'buffered' ? currentBody.bytes : currentBody.kind === 'streamed' ? currentBody.stream : undefined;
    const response = await upstream.send({ url, method: currentMethod, headers: sentHeaders, body: payload, signal });
    const location = locationOf(response);
    if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;
    let next: URL;
    try {
      next = redirectTarget(base, url, location);
    } catch (error) {
      discard(response);
      throw error;
    }
    const asGet = (response.status === 303 && currentMethod !== 'HEAD') || ((response.status === 301 || response.status === 302) && currentMethod === 'POST');
    if (hop >= MAX_REDIRECTS || (currentBody.kind === 'streamed' && !asGet)) return response;
    await response.body.dump();
    // The account's query credentials go on the new URL as on the first.
    next.search = mergeQuery(next.search, '', prepared.credentialQuery);
    url = next;
    if (asGet) {
      currentMethod = 'GET';
      currentBody = { kind: 'none' };
      headers = withoutBodyHeaders(headers);
    }
  }
}

const PROXY_URL = '/proxy/:connectedAccountId/*';
/** The methods of RFC 9110 §9.3 an API call uses; TRACE and CONNECT are not for forwarding. */
const PROXIED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const ProxyParams = Type.Object({
  connectedAccountId: IdSchema,
  '*': Type.String({ description: 'Path under the app’s API base URL; the query string is forwarded as well.' }),
});

const AppAnswer = Type.Unknown({ description: "The app's own answer, any status: its headers and body as it sent them." });

/**
 * `ANY /proxy/{connectedAccountId}/{path}`: calls the app's API as the account.
 * - Bodies stream both ways. A request body of up to 1 MiB is buffered so the request can be
 *   repeated: once after a 401, when the forced refresh yields other credentials, and on redirects.
 *   A larger body streams through at once and a 401 to it is passed back.
 * - Redirects within the base URL are followed (at most 3; the credentials go along); a redirect
 *   anywhere else is a 400 PROXY_TARGET_REFUSED and is never requested.
 * - Headers: see forwarded-headers.ts (no caller key or cookies up, no Set-Cookie down).
 * - The app's answers carry `x-authlink-proxy: 1`, so a caller can tell the app's 404 from
 *   authlink's own problem answers.
 */
export const proxyRoutes: FastifyPluginAsyncTypebox<ProxyRouteDeps> = async (app, { services, upstream }) => {
  // Only in this plugin's scope: every body stays a raw stream, whatever its type (JSON included).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.route({
    method: PROXIED_METHODS,
    url: PROXY_URL,
    schema: {
      tags: ['proxy'],
      summary: "Call the app's API as the connected account",
      description:
        "Forwards the request to the app's API base URL + path with the account's credentials, and answers with the app's status, headers and body " +
        '(marked `x-authlink-proxy: 1`). Problems with a `code` (application/problem+json) come from authlink itself.',
      params: ProxyParams,
      response: { ...ErrorResponses, 502: ProblemSchema, 504: ProblemSchema, default: AppAnswer },
    },
    handler: async (request, reply) => {
      const { connectedAccountId } = request.params;
      // Refused paths cost nothing: checked before the account is loaded (or its token refreshed).
      const caller = splitCallerTarget(request.url, `/proxy/${connectedAccountId}`);
      checkCallerPath(caller.path);
      const target = await services.connections.authorizedTarget(request.projectId, connectedAccountId);
      const callerHeaders = headersForUpstream(request.headers);
      const body = await readBody(request.body, request.headers['content-length']);
      const first = prepare(target, caller, callerHeaders, request.method, body);

      // undici takes an emitter of 'abort' as a signal: cheaper than an AbortController per call.
      const cancel = new EventEmitter();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) cancel.emit('abort');
      });
      const context: Exchange = { upstream, base: target.baseUrl, method: request.method, body, signal: cancel };
      let response = await exchange(context, first);

      // Once, and only when the body can be sent again and the refresh produced other credentials.
      if (response.status === 401 && body.kind !== 'streamed') {
        const unauthorized = response;
        try {
          const renewed = await services.connections.authorizedTarget(request.projectId, connectedAccountId, { forceRefresh: true });
          const retry = prepare(renewed, caller, callerHeaders, request.method, body);
          if (!sameCredentials(first, retry)) {
            await unauthorized.body.dump();
            response = await exchange({ ...context, base: renewed.baseUrl }, retry);
          }
        } catch (error) {
          discard(unauthorized);
          throw error;
        }
      }

      request.log.debug({ connectedAccountId, app: target.app, upstream: target.baseUrl.origin, status: response.status }, 'proxied');
      reply.code(response.status).headers(headersForCaller(response.headers)).header('x-authlink-proxy', '1');
      return reply.send(response.body);
    },
  });

  // Every proxied call is audited, including refused ones: who called which account's API, and how it went.
  // Callback style: an async hook costs a promise on every proxied call.
  app.addHook('onResponse', (request, reply, done) => {
    const { connectedAccountId } = request.params as { connectedAccountId?: string };
    if (request.projectId === undefined || connectedAccountId === undefined) {
      done();
      return;
    }
    const fromApp = reply.getHeader('x-authlink-proxy') === '1';
    services.audit.record({
      projectId: request.projectId,
      actor: request.actor,
      action: 'proxy.request',
      targetType: 'connected_account',
      targetId: connectedAccountId,
      outcome: fromApp ? 'success' : reply.statusCode < 500 ? 'refused' : 'failure',
      detail: { method: request.method, status: reply.statusCode, answeredBy: fromApp ? 'app' : 'authlink' },
    });
    done();
  });

  // Not proxied: the app would echo the request, credentials included, back to the caller (RFC 9110 §9.3.8).
  app.route({
    method: 'TRACE',
    url: PROXY_URL,
    schema: { hide: true },
    handler: async () => {
      throw new AuthlinkError('METHOD_NOT_ALLOWED', 'TRACE is not proxied: the app would echo the credentials back');
    },
  });
};
