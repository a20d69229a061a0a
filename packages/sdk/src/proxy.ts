import { invalidArgument } from './errors.js';
import { pathSegment } from './http.js';
import type { HttpAnswer, HttpClient, HttpRequest, RequestOptions } from './http.js';
import type { ProxyRequest, ProxyResponse } from './types.js';

// Dot segments, plain or percent-encoded, would be resolved by URL parsing and lift the
// request out of /api/v1/proxy/{id}/ into another API route.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

// authlink's own error codes are upper snake case; an upstream API answering with a problem
// document of that exact shape is rare enough to accept the ambiguity.
const AUTHLINK_CODE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Forwards a request to the app's API through `/api/v1/proxy/{connectedAccountId}/{path}`
 * and returns the upstream answer whatever its status. Rejects only when the authlink
 * server itself refuses (unknown account, bad key…) or no answer comes.
 */
export async function sendProxyRequest<T>(
  http: HttpClient,
  connectedAccountId: string,
  request: ProxyRequest,
  options?: RequestOptions,
): Promise<ProxyResponse<T>> {
  const path = proxyPath(connectedAccountId, request.path);
  const headers: Record<string, string> = { accept: '*/*' };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  let body: string | undefined;
  if (typeof request.body === 'string') {
    body = request.body;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }

  const sent: HttpRequest = {
    method: request.method ?? 'GET',
    path,
    headers,
    ...(request.query === undefined ? {} : { query: request.query }),
    ...(body === undefined ? {} : { body }),
    ...(options === undefined ? {} : { options }),
  };
  const answer = await http.send(sent);
  if (isAuthLinkProblem(answer)) throw http.errorFor(sent, answer);

  const responseHeaders: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    responseHeaders[name.toLowerCase()] = value;
  });
  return { status: answer.status, headers: responseHeaders, data: parseBody(answer) as T };
}

function proxyPath(connectedAccountId: string, path: string): string {
  if (typeof path !== 'string') throw invalidArgument('path must be a string');
  const rest = path.replace(/^\/+/, '');
  const queryStart = rest.indexOf('?');
  const pathPart = queryStart === -1 ? rest : rest.slice(0, queryStart);
  if (pathPart.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    throw invalidArgument('path must not contain "." or ".." segments');
  }
  return `/api/v1/proxy/${pathSegment(connectedAccountId, 'connectedAccountId')}/${rest}`;
}

function isAuthLinkProblem(answer: HttpAnswer): boolean {
  if (answer.status < 400) return false;
  if (!/application\/problem\+json/i.test(answer.headers.get('content-type') ?? '')) return false;
  try {
    const body = JSON.parse(answer.text) as unknown;
    return (
      typeof body === 'object' &&
      body !== null &&
      'code' in body &&
      typeof body.code === 'string' &&
      AUTHLINK_CODE.test(body.code)
    );
  } catch {
    return false;
  }
}

/** JSON content types (`application/json`, `…+json`) are parsed; anything else stays text. */
function parseBody(answer: HttpAnswer): unknown {
  const contentType = answer.headers.get('content-type') ?? '';
  if (!/[/+]json(?:\s*;|\s*$)/i.test(contentType)) return answer.text;
  if (answer.text.trim() === '') return null;
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    return answer.text;
  }
}
