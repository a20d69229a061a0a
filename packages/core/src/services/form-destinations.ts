import type { ResolvedScheme } from '../schemes/auth-scheme.js';

/** A `{field}` that is a whole leftmost host label: `{shop}.myshopify.com`. */
const LEFTMOST_LABEL_PLACEHOLDER = /^\{[^{}]+\}\./;
const URL_START = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
/**
 * A host-source's host and port in CSP's grammar (labels of letters, digits and `-`; no IPv6
 * literal). URL parsing lets through characters that mean something in a policy (`;` ends a
 * directive), so nothing else is trusted.
 */
const HOST_AND_PORT = /^(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?$/;

/** `scheme://host` when the host is plain, else the scheme alone: wider, never wrong. */
function hostSource(scheme: 'http' | 'https', host: string): string {
  return HOST_AND_PORT.test(host) ? `${scheme}://${host}` : `${scheme}:`;
}

/**
 * The CSP source (https://www.w3.org/TR/CSP3/#grammardef-source-expression) that matches every
 * URL a `{field}` template can render to: its origin when the host is fixed, `https://*.rest` when
 * only the leftmost label is a field, else the scheme alone (`https:`). Only http(s) templates
 * give a source, and only a host that URL parsing and HOST_AND_PORT both accept reaches it.
 */
export function cspSourceOfUrlTemplate(template: string): string | undefined {
  const match = URL_START.exec(template);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'https' && scheme !== 'http') return undefined;
  let authority = match[2]!;
  const wildcard = LEFTMOST_LABEL_PLACEHOLDER.test(authority);
  if (wildcard) authority = authority.replace(LEFTMOST_LABEL_PLACEHOLDER, 'x.');
  if (authority.includes('{') || authority.includes('@')) return `${scheme}:`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    return `${scheme}:`;
  }
  if (url.host === '') return `${scheme}:`;
  return hostSource(scheme, wildcard ? `*.${url.host.slice(url.host.indexOf('.') + 1)}` : url.host);
}

/** The provider's authorization endpoint as a CSP source; by discovery, only the issuer's scheme is certain. */
function authorizationSource(scheme: ResolvedScheme): string {
  if (scheme.authorizationUrl !== undefined) return cspSourceOfUrlTemplate(scheme.authorizationUrl) ?? 'https:';
  const protocol = scheme.issuer === undefined ? undefined : URL.parse(scheme.issuer)?.protocol;
  return protocol === 'http:' ? 'http:' : 'https:';
}

/**
 * Where the browser may be sent once the hosted form is accepted, as CSP sources: the initiator's
 * redirect URL and, when the form comes before an authorization, the provider's authorization
 * endpoint (a template until the form's fields fill it in). Browsers hold the redirects that
 * answer a form submission to the page's `form-action`: a destination missing here strands the
 * user on the form while the connection goes on without them.
 */
export function formDestinations(redirectUrl: string | null, scheme: ResolvedScheme, authorizes: boolean): string[] {
  const sources = new Set<string>();
  if (redirectUrl !== null) {
    const { protocol, host } = new URL(redirectUrl);
    if (protocol === 'https:' || protocol === 'http:') sources.add(hostSource(protocol === 'https:' ? 'https' : 'http', host));
  }
  if (authorizes) sources.add(authorizationSource(scheme));
  return [...sources];
}
