import { describe, expect, it } from 'vitest';
import type { AppDefinition, AuthSchemeDefinition } from './app-definition.js';
import { Catalog, CatalogError } from './catalog.js';

const BASIC_FIELDS: AuthSchemeDefinition['fields'] = [
  { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' },
  { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' },
];
const BEARER = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];

function appWith(scheme: AuthSchemeDefinition): AppDefinition {
  return { key: 'acme', name: 'Acme', description: 'Acme', categories: [], docsUrl: 'https://acme.example/docs', baseUrl: 'https://api.acme.example', authSchemes: [scheme] };
}

function failure(scheme: AuthSchemeDefinition): CatalogError {
  try {
    Catalog.fromDefinitions([appWith(scheme)]);
  } catch (error) {
    if (error instanceof CatalogError) return error;
    throw error;
  }
  throw new Error('the definition was accepted');
}

const OAUTH1: AuthSchemeDefinition = {
  scheme: 'OAUTH1',
  fields: [],
  requestTokenUrl: 'https://acme.example/oauth/request_token',
  authorizationUrl: 'https://acme.example/oauth/authorize',
  tokenUrl: 'https://acme.example/oauth/access_token',
  placement: [],
};

describe('catalog checks for token-minting schemes', () => {
  it('accepts an OAUTH1 scheme with its three endpoints and no placement', () => {
    expect(Catalog.fromDefinitions([appWith(OAUTH1)]).get('acme')?.authSchemes[0]?.requestTokenUrl).toBe(OAUTH1.requestTokenUrl);
  });

  it('refuses OAUTH1 without a request token endpoint, or with a placement', () => {
    const { requestTokenUrl: _omitted, ...withoutRequestToken } = OAUTH1;
    expect(failure(withoutRequestToken).path).toBe('/authSchemes/0/requestTokenUrl');
    expect(failure({ ...OAUTH1, placement: BEARER }).path).toBe('/authSchemes/0/placement');
  });

  it('refuses a request token endpoint on another scheme', () => {
    const error = failure({ scheme: 'CLIENT_CREDENTIALS', fields: [], tokenUrl: 'https://acme.example/token', requestTokenUrl: 'https://acme.example/rt', placement: BEARER });
    expect(error.path).toBe('/authSchemes/0/requestTokenUrl');
  });

  it('accepts BASIC_WITH_JWT in sign mode with claims over public fields', () => {
    const scheme: AuthSchemeDefinition = {
      scheme: 'BASIC_WITH_JWT',
      fields: BASIC_FIELDS,
      jwt: { mode: 'sign', algorithm: 'HS256', claims: { iss: '{username}' } },
      placement: BEARER,
    };
    expect(Catalog.fromDefinitions([appWith(scheme)]).get('acme')?.authSchemes[0]?.jwt?.mode).toBe('sign');
  });

  it('refuses a signed claim that would copy the password into the JWT', () => {
    const error = failure({ scheme: 'BASIC_WITH_JWT', fields: BASIC_FIELDS, jwt: { mode: 'sign', algorithm: 'HS256', claims: { pwd: '{password}' } }, placement: BEARER });
    expect(error.path).toBe('/authSchemes/0/jwt/claims/pwd');
    expect(error.message).toContain('secret');
  });

  it('refuses exp or iat among the declared claims: they come from ttlSeconds', () => {
    const error = failure({ scheme: 'BASIC_WITH_JWT', fields: BASIC_FIELDS, jwt: { mode: 'sign', algorithm: 'HS512', claims: { exp: '1' } }, placement: BEARER });
    expect(error.path).toBe('/authSchemes/0/jwt/claims/exp');
  });

  it('refuses BASIC_WITH_JWT in exchange mode without an endpoint, or with two', () => {
    expect(failure({ scheme: 'BASIC_WITH_JWT', fields: BASIC_FIELDS, placement: BEARER }).path).toBe('/authSchemes/0/tokenUrl');
    const both = failure({
      scheme: 'BASIC_WITH_JWT',
      fields: BASIC_FIELDS,
      tokenUrl: 'https://acme.example/login',
      jwt: { mode: 'exchange', tokenPath: '/login' },
      placement: BEARER,
    });
    expect(both.path).toBe('/authSchemes/0/jwt/tokenPath');
  });

  it('refuses a jwt object on another scheme, and a sign mode without an algorithm', () => {
    expect(failure({ scheme: 'BASIC', fields: BASIC_FIELDS, jwt: { mode: 'exchange' }, placement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }] }).path).toBe('/authSchemes/0/jwt');
    const unsigned = { scheme: 'BASIC_WITH_JWT', fields: BASIC_FIELDS, jwt: { mode: 'sign', claims: {} }, placement: BEARER } as unknown as AuthSchemeDefinition;
    expect(failure(unsigned).path).toMatch(/^\/authSchemes\/0\/jwt/);
  });

  it('requires the key file field of GOOGLE_SERVICE_ACCOUNT to be secret', () => {
    const error = failure({
      scheme: 'GOOGLE_SERVICE_ACCOUNT',
      fields: [{ name: 'serviceAccountJson', label: 'Key', secret: false, required: true, suppliedBy: 'user' }],
      placement: BEARER,
    });
    expect(error.path).toBe('/authSchemes/0/fields/0/secret');
  });
});
