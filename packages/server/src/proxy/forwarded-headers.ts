/**
 * Which header fields cross the proxy, in each direction. authlink is the upstream's client, not a
 * transparent proxy: it forwards what describes the request or the answer, and drops what belongs
 * to one connection or to the caller's relationship with authlink.
 */

type HeaderValue = string | string[] | undefined;

/**
 * Connection-specific fields (RFC 9110 §7.6.1): meaningful for one hop only. Trailer goes too: the
 * proxy does not relay trailer fields, so it must not announce them. Proxy-Authenticate and
 * Proxy-Authorization address the proxy itself (RFC 9110 §11.7.1, §11.7.2).
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'proxy-authenticate',
  'proxy-authorization',
]);

const NOT_TO_UPSTREAM: ReadonlySet<string> = new Set([
  // The client names the target's host (RFC 9110 §7.2); the sender sets it for the upstream origin.
  'host',
  // Framing is decided again for the body actually sent (RFC 9112 §6.3): the route sets it.
  'content-length',
  // 100-continue is negotiated per connection (RFC 9110 §10.1.1); this hop already answered it.
  'expect',
  // The caller's authlink API key, in either spelling. The account's credentials replace it.
  'x-api-key',
  'authorization',
  // The caller's cookies belong to its session with authlink, never to the app.
  'cookie',
  // authlink calls the app as itself: the caller's network identity is not the app's business (RFC 7239).
  'forwarded',
  'x-real-ip',
]);

const NOT_TO_CALLER: ReadonlySet<string> = new Set([
  // The app's cookies are scoped to the app's host; relayed, a browser would pin them on authlink's
  // host. authlink keeps no upstream sessions: the account's credentials authenticate every call.
  'set-cookie',
  // Statements about the upstream origin that a browser would apply to authlink's origin
  // (RFC 7838 §3, RFC 6797 §6.1).
  'alt-svc',
  'strict-transport-security',
]);

const NONE: ReadonlySet<string> = new Set();

/** Field names listed in Connection are hop-by-hop as well (RFC 9110 §7.6.1). */
function namedInConnection(value: HeaderValue): ReadonlySet<string> {
  // Nearly every request says only "keep-alive" or "close", which name no field that is forwarded.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NONE;
  const names = new Set<string>();
  for (const line of Array.isArray(value) ? value : [value]) {
    for (const name of line.split(',')) if (name.trim() !== '') names.add(name.trim().toLowerCase());
  }
  return names;
}

/** Calls `keep` for each field that crosses: not hop-by-hop, not named in Connection, not dropped. */
function forEachForwardable(
  headers: Readonly<Record<string, HeaderValue>>,
  isDropped: (name: string) => boolean,
  keep: (name: string, value: string | string[]) => void,
): void {
  const named = namedInConnection(headers['connection']);
  for (const rawName in headers) {
    const value = headers[rawName];
    // Node and undici hand over lower-case names; anything else is lower-cased here.
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || isDropped(name)) continue;
    keep(name, value);
  }
}

const notToUpstream = (name: string): boolean => NOT_TO_UPSTREAM.has(name) || name.startsWith('x-forwarded-');
const notToCaller = (name: string): boolean => NOT_TO_CALLER.has(name);

/** The caller's header fields that go on to the app, before defaults and credentials are added. */
export function headersForUpstream(incoming: Readonly<Record<string, HeaderValue>>): Record<string, string> {
  const headers: Record<string, string> = {};
  forEachForwardable(incoming, notToUpstream, (name, value) => {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  });
  return headers;
}

/** The app's header fields that go back to the caller; repeated fields stay repeated. */
export function headersForCaller(upstream: Readonly<Record<string, HeaderValue>>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  forEachForwardable(upstream, notToCaller, (name, value) => {
    headers[name] = value;
  });
  return headers;
}

/**
 * Fields that describe a request body (Fetch "request-body-header name"); they go when a redirect
 * turns the request into a body-less GET (RFC 9110 §15.4.2–§15.4.4).
 */
export const REQUEST_BODY_HEADERS: readonly string[] = ['content-type', 'content-encoding', 'content-language', 'content-location', 'content-length'];
