// The local "app API" behind the proxy: a bare node:http server that answers every request with
// a small JSON body, as cheaply as possible, so that what is measured is what sits in front of it.
// Usage: node bench/upstream.mjs PORT   (prints "ready PORT" once it listens)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from(JSON.stringify({ id: 12345, login: 'bench-user', name: 'Bench User', plan: 'pro', repos: 42, active: true }));

const server = createServer((request, response) => {
  // Drain any request body, then answer.
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
