import { describe, expect, it } from 'vitest';
import type { ResolvedScheme } from '../schemes/auth-scheme.js';
import { cspSourceOfUrlTemplate, formDestinations } from './form-destinations.js';

const oauth = (over: Partial<ResolvedScheme>): ResolvedScheme => ({ scheme: 'OAUTH2', fields: [], placement: [], baseUrl: '', ...over });

describe('cspSourceOfUrlTemplate', () => {
  it.each([
    ['https://github.com/login/oauth/authorize', 'https://github.com'],
    ['http://127.0.0.1:9000/auth?tenant={tenant}', 'http://127.0.0.1:9000'],
    ['https://{shop}.myshopify.com/admin/oauth/authorize', 'https://*.myshopify.com'],
    ['https://{instance}.my.salesforce.com:8443/services/oauth2/authorize', 'https://*.my.salesforce.com:8443'],
    ['HTTPS://Login.Example.COM/authorize', 'https://login.example.com'],
  ])('%s → %s', (template, source) => {
    expect(cspSourceOfUrlTemplate(template)).toBe(source);
  });

  it.each([
    // A field anywhere but the whole leftmost label: only the scheme is certain.
    ['https://accounts.zoho.{dc}/oauth/v2/auth', 'https:'],
    ['https://{domain}/oauth2/v1/authorize', 'https:'],
    ['https://login-{region}.example.com/authorize', 'https:'],
    ['http://{host}:8080/authorize', 'http:'],
    // Characters that would end the directive or start another never reach the policy.
    ['https://evil.example;script-src/authorize', 'https:'],
    ["https://a.example,'unsafe-inline'/x", 'https:'],
    ['https://user@idp.example/authorize', 'https:'],
    // CSP's host grammar has no IPv6 literals.
    ['https://[::1]:8443/authorize', 'https:'],
  ])('%s → %s', (template, source) => {
    expect(cspSourceOfUrlTemplate(template)).toBe(source);
  });

  it.each(['javascript:alert(1)', 'myapp://callback', '/relative/authorize', 'not a url'])('%s gives no source', (template) => {
    expect(cspSourceOfUrlTemplate(template)).toBeUndefined();
  });
});

describe('formDestinations', () => {
  it('names the redirect URL’s origin, and the authorization endpoint when one follows the form', () => {
    const shopify = oauth({ authorizationUrl: 'https://{shop}.myshopify.com/admin/oauth/authorize' });
    expect(formDestinations('https://app.example/connected?x=1', shopify, true)).toEqual(['https://app.example', 'https://*.myshopify.com']);
    expect(formDestinations(null, shopify, true)).toEqual(['https://*.myshopify.com']);
  });

  it('names only the redirect URL when the form is the last step (API keys)', () => {
    expect(formDestinations('http://127.0.0.1:3000/done', oauth({ scheme: 'API_KEY' }), false)).toEqual(['http://127.0.0.1:3000']);
    expect(formDestinations(null, oauth({ scheme: 'API_KEY' }), false)).toEqual([]);
  });

  it('allows the issuer’s scheme when only discovery knows the endpoint', () => {
    expect(formDestinations(null, oauth({ issuer: 'https://idp.example' }), true)).toEqual(['https:']);
    expect(formDestinations(null, oauth({ issuer: 'http://127.0.0.1:9000' }), true)).toEqual(['http:']);
    expect(formDestinations(null, oauth({}), true)).toEqual(['https:']);
  });

  it('keeps one copy of a source named twice', () => {
    expect(formDestinations('https://idp.example/back', oauth({ authorizationUrl: 'https://idp.example/authorize' }), true)).toEqual(['https://idp.example']);
  });
});
