import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG_DIR } from './catalog.js';
import { APP_JSON_SCHEMA_PATH, renderAppJsonSchema, writeAppJsonSchema } from './write-json-schema.js';

describe('catalog/app.schema.json', () => {
  it('is up to date with the TypeBox schema (regenerate with AUTHLINK_UPDATE_SCHEMA=1)', () => {
    if (process.env['AUTHLINK_UPDATE_SCHEMA'] === '1') writeAppJsonSchema();
    expect(readFileSync(APP_JSON_SCHEMA_PATH, 'utf8')).toBe(renderAppJsonSchema());
  });

  it('is plain JSON Schema that forbids unknown properties and allows $schema', () => {
    const schema = JSON.parse(renderAppJsonSchema()) as {
      $schema: string;
      additionalProperties: boolean;
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties).toHaveProperty('$schema');
    expect(schema.required).not.toContain('$schema');
    expect(schema.required).toEqual(
      expect.arrayContaining(['key', 'name', 'description', 'categories', 'docsUrl', 'baseUrl', 'authSchemes']),
    );
  });

  it('is referenced by every shipped app file', () => {
    for (const name of readdirSync(DEFAULT_CATALOG_DIR).filter((n) => n.endsWith('.json'))) {
      const data = JSON.parse(readFileSync(join(DEFAULT_CATALOG_DIR, name), 'utf8')) as { $schema?: string };
      expect(data.$schema, name).toBe('../app.schema.json');
    }
  });
});
