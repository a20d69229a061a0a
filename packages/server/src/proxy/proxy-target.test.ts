import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUpstreamUrl, mergeQuery, redirectTarget, splitCallerTarget } from './proxy-target.js';

const SHOPIFY = new URL('https://acme.myshopify.com/admin/api/2025-01');
const GITHUB = new URL('https://api.github.com');

function target(base: URL, path: string, query = '', credentials = new URLSearchParams()): string {
  return buildUpstreamUrl(base, { path, query }, credentials).href;
}

function refusal(base: URL, path: string): unknown {
  try {
    buildUpstreamUrl(base, { path, query: '' });
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('splitCallerTarget', () => {
  it('takes the raw path and query after the account id, still encoded', () => {
    expect(splitCallerTarget('/api/v1/proxy/ca_1/repos/a%2Fb/issues?per_page=5&q=a+b', '/proxy/ca_1')).toEqual({
      path: '/repos/a%2Fb/issues',
      query: 'per_page=5&q=a+b',
    });
  });

  it('splits at the first "?" only', () => {
    expect(splitCallerTarget('/api/v1/proxy/ca_1/x?a=?b', '/proxy/ca_1')).toEqual({ path: '/x', query: 'a=?b' });
  });

  it('refuses a path glued to the id', () => {
    expect(() => splitCallerTarget('/api/v1/proxy/ca_1@evil.example/x', '/proxy/ca_1')).toThrow(expect.objectContaining({ code: 'PROXY_TARGET_REFUSED' }));
  });
});

describe('buildUpstreamUrl', () => {
  it("keeps the base URL's path prefix", () => {
    expect(target(SHOPIFY, '/shop.json')).toBe('https://acme.myshopify.com/admin/api/2025-01/shop.json');
  });

  it('joins a base with a trailing slash without doubling it', () => {
    expect(target(new URL('https://api.example.com/v1/'), '/users')).toBe('https://api.example.com/v1/users');
  });

  it('joins a base without a path', () => {
    expect(target(GITHUB, '/repos/o/r/issues')).toBe('https://api.github.com/repos/o/r/issues');
  });

  it('answers the base itself for an empty path, and keeps a trailing slash', () => {
    expect(target(SHOPIFY, '')).toBe(SHOPIFY.href);
    expect(target(SHOPIFY, '/orders/')).toBe('https://acme.myshopify.com/admin/api/2025-01/orders/');
  });

  it('keeps the query exactly as the caller spelled it: order, repeats, "+", escapes', () => {
    expect(target(GITHUB, '/search', 'q=a+b&x=%20&x=2&empty=&flag')).toBe('https://api.github.com/search?q=a+b&x=%20&x=2&empty=&flag');
  });

  it('keeps encoded slashes inside a segment (GitLab project ids) and colons (Google custom methods)', () => {
    expect(target(new URL('https://gitlab.com/api/v4'), '/projects/group%2Fproject/issues')).toBe('https://gitlab.com/api/v4/projects/group%2Fproject/issues');
    expect(target(new URL('https://texttospeech.googleapis.com/v1'), '/text:synthesize')).toBe('https://texttospeech.googleapis.com/v1/text:synthesize');
  });

  it('allows "@" after the first segment and "|" (Auth0 user ids)', () => {
    expect(target(GITHUB, '/users/a@b.c/auth0|123')).toBe('https://api.github.com/users/a@b.c/auth0|123');
  });

  it('adds credential query parameters and drops a caller parameter of the same name', () => {
    const credentials = new URLSearchParams({ api_key: 's3cret' });
    expect(target(GITHUB, '/x', 'api_key=mine&a=1&api%5Fkey=again', credentials)).toBe('https://api.github.com/x?a=1&api_key=s3cret');
  });

  it('keeps a "#" in the caller\'s query as data, so the credential parameters after it still go', () => {
    const credentials = new URLSearchParams({ api_key: 's3cret' });
    const url = buildUpstreamUrl(GITHUB, { path: '/x', query: 'q=a#b' }, credentials);
    expect(url.hash).toBe('');
    expect(url.searchParams.get('q')).toBe('a#b');
    expect(url.searchParams.get('api_key')).toBe('s3cret');
  });

  it("keeps the base URL's own query parameters", () => {
    expect(target(new URL('https://res.openai.azure.com/openai?api-version=2024-10-21'), '/models', 'a=1')).toBe(
      'https://res.openai.azure.com/openai/models?api-version=2024-10-21&a=1',
    );
  });

  it.each([
    ['/..', 'dot segment'],
    ['/../../admin', 'dot segments'],
    ['/.', 'single dot'],
    ['/a/./b', 'inner single dot'],
    ['/%2e%2e/admin', 'percent-encoded dots'],
    ['/%2E%2e/admin', 'mixed-case encoded dots'],
    ['/.%2e/admin', 'half-encoded dots'],
    ['/..%2f..%2fadmin', 'dots with encoded slashes'],
    ['/..%2F..%2Fadmin', 'dots with upper-case encoded slashes'],
    ['/%252e%252e/admin', 'double-encoded dots'],
    ['/%25252e%25252e/admin', 'triple-encoded dots'],
    ['/..;/admin', 'dots with a matrix parameter'],
    ['/a\\..\\b', 'raw backslashes'],
    ['/a%5c..%5cb', 'encoded backslashes'],
    ['/a%5Cb', 'an encoded backslash alone'],
    ['//evil.example/x', 'a network-path reference'],
    ['/a//b', 'an empty segment'],
    ['/%2f%2fevil.example/x', 'an encoded network-path reference'],
    ['/http://169.254.169.254/latest/meta-data', 'an absolute URL'],
    ['/http:%2f%2f169.254.169.254/', 'an absolute URL with encoded slashes'],
    ['/@evil.example/x', '"@" in the first segment'],
    ['/%40evil.example/x', 'encoded "@" in the first segment'],
    ['/a%0d%0aHost:%20evil', 'CRLF'],
    ['/a%00.json', 'NUL'],
    ['/a b', 'a raw space'],
    ['/a#b', 'a raw "#"'],
    ['/caf\u00e9', 'raw non-ASCII'],
    ['/a%zz', 'a malformed escape'],
    ['/a%2', 'a truncated escape'],
    ['x', 'a path without a leading slash'],
  ])('refuses %s (%s)', (path) => {
    expect(refusal(SHOPIFY, path)).toMatchObject({ code: 'PROXY_TARGET_REFUSED', status: 400 });
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(refusal(new URL('file:///etc'), '/passwd')).toMatchObject({ code: 'PROXY_TARGET_REFUSED' });
  });
});

describe('mergeQuery', () => {
  it('drops empty pieces and puts credentials last', () => {
    expect(mergeQuery('?', '&&a=1&', new URLSearchParams([['key', 'a b']]))).toBe('a=1&key=a+b');
  });
});

describe('redirectTarget', () => {
  const current = new URL('https://acme.myshopify.com/admin/api/2025-01/orders.json');

  it('follows a relative Location on the same base', () => {
    expect(redirectTarget(SHOPIFY, current, 'orders/1.json').href).toBe('https://acme.myshopify.com/admin/api/2025-01/orders/1.json');
    expect(redirectTarget(SHOPIFY, current, '/admin/api/2025-01/shop.json?x=1').href).toBe('https://acme.myshopify.com/admin/api/2025-01/shop.json?x=1');
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', 'another host'],
    ['//evil.example/x', 'a network-path reference'],
    ['http://acme.myshopify.com/admin/api/2025-01/shop.json', 'a scheme downgrade'],
    ['https://acme.myshopify.com:8443/admin/api/2025-01/shop.json', 'another port'],
    ['https://acme.myshopify.com@evil.example/', 'userinfo pointing elsewhere'],
    ['https://user:pw@acme.myshopify.com/admin/api/2025-01/shop.json', 'userinfo on the same host'],
    ['/admin/api/2025-04/shop.json', 'a path outside the base path'],
    ['../../../oauth/authorize', 'dot segments out of the base path'],
    ['https://[::1/', 'an invalid URL'],
  ])('refuses %s (%s)', (location) => {
    expect(() => redirectTarget(SHOPIFY, current, location)).toThrow(expect.objectContaining({ code: 'PROXY_TARGET_REFUSED' }));
  });
});

describe('buildUpstreamUrl, for any path', () => {
  // Strings over the characters that matter to URL parsing, plus arbitrary text.
  const tricky = fc.constantFrom('/', '\\', '.', '%', '2', 'e', 'E', 'f', 'F', '5', 'c', '@', ':', ';', '?', '#', 'a', '~', ' ', '\u0000', '\n', 'é');
  const trickyPath = fc.array(tricky, { maxLength: 40 }).map((chars) => chars.join(''));
  const anyPath = fc.oneof(trickyPath, fc.string({ unit: 'binary', maxLength: 40 }), fc.webPath(), trickyPath.map((p) => `/${p}`));
  const bases = fc.constantFrom(SHOPIFY, GITHUB, new URL('http://127.0.0.1:8080/v1/'), new URL('https://api.example.com/a/b'));

  it('is refused, or stays on the base origin and under the base path, and parses back the same', () => {
    fc.assert(
      fc.property(bases, anyPath, fc.string({ maxLength: 20 }), (base, path, query) => {
        let url: URL;
        try {
          url = buildUpstreamUrl(base, { path, query });
        } catch (error) {
          expect(error).toMatchObject({ code: 'PROXY_TARGET_REFUSED' });
          return;
        }
        const basePath = base.pathname.replace(/\/+$/, '');
        expect(url.origin).toBe(base.origin);
        expect(url.username + url.password).toBe('');
        expect(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`)).toBe(true);
        // What the upstream parses is what was checked: re-parsing the href changes nothing.
        const reparsed = new URL(url.href);
        expect([reparsed.origin, reparsed.pathname]).toEqual([url.origin, url.pathname]);
        // No dot segment survives in any decoding.
        expect(decodeURIComponentSafe(url.pathname).split(/[/\\]/)).not.toContain('..');
      }),
      { numRuns: 5000 },
    );
  });
});

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(decodeURIComponent(value));
  } catch {
    return value;
  }
}
