import type { FastifyRequest } from 'fastify';

/**
 * Request URLs can carry secrets: the connect-link token in the path and the authorization
 * code and state in the callback's query. Logs get the route shape, query names but no values.
 */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path.replace(/^\/connect\/[^/]+/, '/connect/[redacted]');
  if (query === undefined) return safePath;
  const names = [...new URLSearchParams(query).keys()];
  return `${safePath}?${names.map((n) => `${encodeURIComponent(n)}=[redacted]`).join('&')}`;
}

export const requestSerializer = (request: FastifyRequest) => ({
  method: request.method,
  url: redactUrl(request.url),
  remoteAddress: request.ip,
});

/** Pino redaction paths: defence in depth for any object that reaches a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.clientSecret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.code',
  '*.state',
  '*.credentials',
];
