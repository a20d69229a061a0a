import type { AppDefinition } from '@authlink/core';

type SchemeDefinition = AppDefinition['authSchemes'][number];

/** A catalog entry for an app whose API is a test peer on 127.0.0.1. */
export function testApp(key: string, baseUrl: string, schemes: SchemeDefinition[], extra: Partial<AppDefinition> = {}): AppDefinition {
  return {
    key,
    name: key,
    description: `${key} (test app)`,
    categories: ['test'],
    docsUrl: 'https://example.com/docs',
    baseUrl,
    authSchemes: schemes,
    ...extra,
  };
}
