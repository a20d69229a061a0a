// The baselines authlink is compared with, in their own process so that they do not share an event
// loop with the load generator (as authlink does not):
//   GET /x/:id          a bare Fastify route shaped like the credential read: same headers in,
//                       a reply of the same shape and size out; no auth, no database, no crypto.
//   ANY /proxy/:id/*    a bare Fastify + undici pass-through to the upstream, built the way the
//                       authlink proxy forwards (one keep-alive Agent, streamed body, hop-by-hop
//                       headers dropped); no auth, no database.
// Usage: node bench/baselines.mjs PORT UPSTREAM_ORIGIN   (prints "ready PORT" once it listens)
import Fastify from 'fastify';
import { Agent } from 'undici';

const port = Number(process.argv[2] ?? 0);
const upstreamOrigin = process.argv[3];
if (!upstreamOrigin) {
  process.stderr.write('usage: node bench/baselines.mjs PORT UPSTREAM_ORIGIN\n');
  process.exit(2);
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'x-api-key']);

function forwardable(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  return out;
}

const agent = new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000, connect: { timeout: 10_000 } });
const app = Fastify({ logger: false });

app.get('/x/:id', async (request) => ({ connectedAccountId: request.params.id, authScheme: 'API_KEY', credentials: { apiKey: 'k' } }));

// Bodies stay raw streams, as in the authlink proxy.
app.register(async (scope) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  scope.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/proxy/:id/*',
    handler: async (request, reply) => {
      const query = request.url.indexOf('?');
      const path = `/${request.params['*']}${query === -1 ? '' : request.url.slice(query)}`;
      const response = await agent.request({
        origin: upstreamOrigin,
        path,
        method: request.method,
        headers: forwardable(request.headers),
        body: request.body ?? null,
      });
      reply.code(response.statusCode).headers(forwardable(response.headers));
      return reply.send(response.body);
    },
  });
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready ${app.server.address().port}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => agent.close()).then(() => process.exit(0));
});
