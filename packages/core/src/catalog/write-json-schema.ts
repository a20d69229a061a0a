/**
 * Writes `catalog/app.schema.json` from the TypeBox schema, so editors can validate app files
 * (each file says `"$schema": "../app.schema.json"`). A test asserts the file is up to date.
 *
 * Regenerate: `npm run build` then `node packages/core/dist/catalog/write-json-schema.js`,
 * or run the catalog tests with AUTHLINK_UPDATE_SCHEMA=1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppFileSchema } from './app-definition.js';

/** `catalog/app.schema.json`; the same relative path from src/catalog and dist/catalog. */
export const APP_JSON_SCHEMA_PATH = fileURLToPath(new URL('../../catalog/app.schema.json', import.meta.url));

/** The JSON Schema text (TypeBox schemas are JSON Schema; symbol keys are dropped by stringify). */
export function renderAppJsonSchema(): string {
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...AppFileSchema,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Writes the file if it differs; returns whether it changed. */
export function writeAppJsonSchema(path: string = APP_JSON_SCHEMA_PATH): boolean {
  const text = renderAppJsonSchema();
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return false;
  writeFileSync(path, text);
  return true;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const changed = writeAppJsonSchema();
  process.stdout.write(`${APP_JSON_SCHEMA_PATH} ${changed ? 'written' : 'already up to date'}\n`);
}
