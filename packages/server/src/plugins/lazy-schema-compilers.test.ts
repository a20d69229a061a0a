import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { lazySerializerBuilder, lazyValidatorBuilder } from './lazy-schema-compilers.js';

function appWithLazyCompilers() {
  const loadValidator = vi.fn(() => AjvCompiler());
  const loadSerializer = vi.fn(() => SerializerSelector());
  const app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    schemaController: { compilersFactory: { buildValidator: lazyValidatorBuilder(loadValidator), buildSerializer: lazySerializerBuilder(loadSerializer) } },
  });
  app.post(
    '/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
        querystring: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } },
        body: { type: 'object', properties: { name: { type: 'string', minLength: 1 }, size: { type: 'integer', default: 7 } }, required: ['name'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, size: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async (request) => {
      const body = request.body as { name: string; size: number; secret?: string };
      return { ...(request.params as object), ...body, ...(request.query as object), secret: 'not in the schema' };
    },
  );
  app.get('/idle', async () => 'ok');
  return { app, loadValidator, loadSerializer };
}

describe('lazy schema compilers', () => {
  it('compiles nothing at start, then validates, coerces, applies defaults and serializes like Fastify’s own', async () => {
    const { app, loadValidator, loadSerializer } = appWithLazyCompilers();
    await app.ready();
    expect(loadValidator).not.toHaveBeenCalled();
    expect(loadSerializer).not.toHaveBeenCalled();

    const ok = await app.inject({ method: 'POST', url: '/items/42?tags=a', payload: { name: 'n' } });
    expect(ok.statusCode).toBe(200);
    // params coerced to an integer, a lone query value to an array, the body default filled in,
    // and the answer cut to its schema.
    expect(ok.json()).toEqual({ id: 42, name: 'n', size: 7, tags: ['a'] });

    const bad = await app.inject({ method: 'POST', url: '/items/42', payload: { name: '', extra: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/must NOT have fewer than 1 characters/);
    expect(bad.json().message).toMatch(/must NOT have additional properties/);
    expect(loadValidator).toHaveBeenCalledTimes(1);
    expect(loadSerializer).toHaveBeenCalledTimes(1);
    await app.close();
  });
});
