import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger } from './lazy-request-logger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level, redact: ['*.apiKey'] }, stream), lines };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('lazyChildLogger', () => {
  it('makes no child for a request that writes nothing at the enabled levels', () => {
    const { logger } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const log = lazyChildLogger(logger, { reqId: 'req-1' }, {});
    log.info({ req: 'x' }, 'incoming request');
    log.debug('details');
    expect(child).not.toHaveBeenCalled();
    expect(log.level).toBe('warn');
  });

  it('writes enabled lines with the request id, redacted as the parent redacts', async () => {
    const { logger, lines } = capture('info');
    const log = lazyChildLogger(logger, { reqId: 'req-2' }, {});
    log.info({ body: { apiKey: 'secret' } }, 'hello');
    log.error('bad');
    await tick();
    expect(lines.map((l) => [l.reqId, l.msg])).toEqual([
      ['req-2', 'hello'],
      ['req-2', 'bad'],
    ]);
    expect(lines[0]?.body).toEqual({ apiKey: '[Redacted]' });
  });

  it('falls back to a real child for route-level options', () => {
    const { logger } = capture('warn');
    const log = lazyChildLogger(logger, { reqId: 'req-3' }, { level: 'debug' });
    expect(log.level).toBe('debug');
  });
});
