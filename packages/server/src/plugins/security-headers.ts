import type { FastifyReply } from 'fastify';

/**
 * Headers every authlink answer carries (pages set a stricter CSP of their own). Proxied answers
 * are the app's own and pass through as they came.
 */
export function securityHeaders(reply: FastifyReply): void {
  if (reply.getHeader('x-authlink-proxy') === '1') return;
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}
