import { AuthlinkError } from '@authlink/core';

/**
 * Where a proxy request goes. The caller controls only a path under the app's API base URL and a
 * query string; everything here makes sure that is all they control: the origin and the base path
 * come from the app definition, and no spelling of the caller's path may climb out of them.
 */

/** The caller's part of `/api/v1/proxy/{id}{path}?{query}`, exactly as it arrived (still encoded). */
export interface CallerTarget {
  path: string;
  query: string;
}

function refused(detail: string): AuthlinkError {
  return new AuthlinkError('PROXY_TARGET_REFUSED', detail);
}

/**
 * Splits the raw request URL after `stem` (`/proxy/{id}`). The raw URL is used, not the router's
 * decoded wildcard, so that `%2f` and `%2e` reach the checks below as the caller spelled them.
 */
export function splitCallerTarget(requestUrl: string, stem: string): CallerTarget {
  const at = requestUrl.indexOf(stem);
  if (at === -1) throw refused('the request URL does not name a proxy target');
  const rest = requestUrl.slice(at + stem.length);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  if (path !== '' && !path.startsWith('/')) throw refused('the proxy path must start with "/"');
  return { path, query };
}

// Characters a client must percent-encode in a path (RFC 3986 §2, §3.3) and that WHATWG URL parsing
// would re-encode or, for the backslash, read as "/" — anything outside printable ASCII too.
const UNENCODED = /[^\x21-\x7e]|["#<>^`{}]/;
// RFC 3986 §2.1: "%" only ever starts a two-hex-digit escape.
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i;
const ESCAPE = /%([0-9a-f]{2})/gi;
const NEEDS_SEGMENT_CHECKS = /[%.@]/;
const MAX_DECODING_ROUNDS = 4;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Percent-decodes until nothing changes, byte by byte (never throws), so that double-encoded
 * `%252e%252e` is seen as the `..` a double-decoding upstream would see. Undefined when it keeps
 * changing: nothing legitimate is encoded that deeply.
 */
function decodeFully(segment: string): string | undefined {
  let current = segment;
  for (let round = 0; round < MAX_DECODING_ROUNDS; round += 1) {
    const next = current.replace(ESCAPE, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (next === current) return current;
    current = next;
  }
  return undefined;
}

/** Refuses every spelling of the caller's path that could leave the base path or the host. */
export function checkCallerPath(path: string): void {
  if (path !== '' && !path.startsWith('/')) throw refused('the proxy path must start with "/"');
  if (path.includes('\\')) throw refused('backslashes are refused in the proxy path: URL parsers read them as "/"');
  if (UNENCODED.test(path)) throw refused('the proxy path holds characters that must be percent-encoded (RFC 3986 §2)');
  if (MALFORMED_ESCAPE.test(path)) throw refused('the proxy path holds a malformed percent-escape (RFC 3986 §2.1)');
  // An empty segment makes "//host" a network-path reference (RFC 3986 §4.2) to a naive joiner.
  if (path.includes('//')) throw refused('empty path segments ("//") are refused in the proxy path');
  // Every check below needs a "%", "." or "@" to refuse anything: without "%" decoding changes
  // nothing, and UNENCODED has refused control characters already. Most API paths have none.
  if (!NEEDS_SEGMENT_CHECKS.test(path)) return;
  const segments = path.split('/').slice(1);
  segments.forEach((segment, index) => {
    const decoded = decodeFully(segment);
    if (decoded === undefined) throw refused('the proxy path is percent-encoded too many times');
    if (hasControlCharacter(decoded)) throw refused('control characters are refused in the proxy path');
    if (decoded.includes('\\')) throw refused('backslashes are refused in the proxy path, encoded or not');
    if (decoded.includes('//')) throw refused('encoded "//" is refused in the proxy path');
    // Dot segments (RFC 3986 §5.2.4) in any encoding; ";" params too, as servlet containers drop them ("..;/").
    for (const piece of decoded.split('/')) {
      const name = piece.split(';')[0];
      if (name === '.' || name === '..') throw refused('dot segments ("." and "..", plain or percent-encoded) are refused in the proxy path');
    }
    // "@" right after the base would read as userinfo (RFC 3986 §3.2.1) if anything joined naively.
    if (index === 0 && decoded.includes('@')) throw refused('"@" is refused in the first segment of the proxy path');
  });
}

/** The base path without trailing slashes: `/admin/api/2025-01/` → `/admin/api/2025-01`, `/` → ``. */
function basePathOf(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

/** Refuses a URL that is not on the base URL's origin (scheme, host, port) and under its path. */
export function assertWithinBase(base: URL, url: URL): void {
  if (url.origin !== base.origin) throw refused(`the proxy only reaches ${base.origin}`);
  if (url.username !== '' || url.password !== '') throw refused('URLs with userinfo are refused');
  const basePath = basePathOf(base);
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
    throw refused(`the proxy only reaches paths under ${basePath === '' ? '/' : basePath}`);
  }
}

/** A query parameter's name as URLSearchParams decodes it (`+` is a space, RFC 3986 escapes). */
function parameterName(pair: string): string {
  return new URLSearchParams(pair).keys().next().value ?? '';
}

/**
 * base query + caller query + credential query, each pair kept as spelled (APIs that sign their
 * query need its bytes). A caller's parameter named like a credential parameter is dropped, so
 * the app's credentials can never be replaced or doubled by the caller.
 */
export function mergeQuery(baseQuery: string, callerQuery: string, credentialQuery: URLSearchParams): string {
  const base = baseQuery.replace(/^\?/, '');
  if (base === '' && callerQuery === '') return credentialQuery.toString();
  const owned = new Set(credentialQuery.keys());
  const pairs = [...base.split('&'), ...callerQuery.split('&')].filter(
    (pair) => pair !== '' && !owned.has(parameterName(pair)),
  );
  const credentials = credentialQuery.toString();
  if (credentials !== '') pairs.push(credentials);
  return pairs.join('&');
}

/**
 * The upstream URL: base URL + caller path (the base path prefix kept) + merged query.
 * Throws PROXY_TARGET_REFUSED rather than ever returning a URL off the base.
 */
export function buildUpstreamUrl(base: URL, caller: CallerTarget, credentialQuery: URLSearchParams = new URLSearchParams()): URL {
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw refused('the API base URL is not http(s)');
  if (base.username !== '' || base.password !== '') throw refused('URLs with userinfo are refused');
  checkCallerPath(caller.path);
  const pathname = caller.path === '' ? base.pathname : `${basePathOf(base)}${caller.path}`;
  // "#" is encoded as the search setter would: here it would start a fragment and cut the query.
  const search = mergeQuery(base.search, caller.query, credentialQuery).replaceAll('#', '%23');
  // Parsed once from its parts (each URL setter parses again). The base's fragment is left out.
  const url = new URL(`${base.origin}${pathname}${search === '' ? '' : `?${search}`}`);
  // Belt and braces: after the checks above the URL parser must have nothing left to reinterpret.
  if (url.pathname !== pathname) throw refused('the proxy path would be rewritten by URL parsing');
  assertWithinBase(base, url);
  return url;
}

/**
 * Where an upstream redirect points, if it stays on the base; else PROXY_TARGET_REFUSED and the
 * Location is never requested. Relative references resolve against the URL that answered.
 */
export function redirectTarget(base: URL, current: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw refused('the upstream redirected to an invalid URL');
  }
  if (next.origin !== base.origin) throw refused(`the upstream redirected away from ${base.origin}; the redirect was not followed`);
  assertWithinBase(base, next);
  checkCallerPath(next.pathname.slice(basePathOf(base).length));
  return next;
}
