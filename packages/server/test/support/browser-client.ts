/**
 * A tiny cookie-keeping HTTP client that plays the end user's browser in end-to-end tests.
 *
 * - Uses global `fetch` with `redirect: 'manual'`; redirects are followed by this class.
 * - Cookie jar per `host:port` (stricter than a real browser, which ignores the port: this keeps
 *   the cookies of servers on different 127.0.0.1 ports apart). `Path`, `Max-Age` and `Expires`
 *   (incl. deletion) are honoured; `Domain`, `Secure`, `SameSite` and `HttpOnly` are ignored.
 * - Sends `Accept: text/html,...` like a browser navigation, so oidc-provider renders HTML
 *   error pages instead of JSON.
 */

export interface BrowserPage {
  /** The URL that was requested — or, for a page returned because of `stopAt`, the redirect target (not requested). */
  url: string;
  /** HTTP status. For a page returned because of `stopAt` (or a non-http(s) redirect target) this is the 3xx status of the redirecting response. */
  status: number;
  headers: Headers;
  body: string;
}

export interface FollowOptions {
  /**
   * Called with every redirect target before it is requested. When it returns true the target is
   * NOT requested; `follow` returns `{ url: target, status: <3xx of the redirecting response>,
   * headers/body: of the redirecting response }`. Redirects to non-http(s) URLs (custom schemes)
   * always stop this way.
   */
  stopAt?: (url: URL) => boolean;
  /** Default 20. Exceeding it throws. */
  maxRedirects?: number;
}

export interface SubmitFormOptions extends FollowOptions {
  /** Which `<form>` of the page (0-based, document order). Default 0. */
  formIndex?: number;
}

export interface ParsedForm {
  /** Absolute URL (resolved against the page URL; empty/missing action = page URL). */
  action: string;
  method: 'GET' | 'POST';
  /** Successful controls with their current values (hidden/text/password/... inputs, checked checkboxes/radios, textareas, selects). */
  fields: Record<string, string>;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** ms since epoch; undefined = session cookie */
  expiresAt: number | undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

export class BrowserClient {
  /** host:port -> (name + '\0' + path) -> cookie */
  readonly #jar = new Map<string, Map<string, StoredCookie>>();
  readonly #userAgent: string;

  constructor(opts: { userAgent?: string } = {}) {
    this.#userAgent = opts.userAgent ?? 'authlink-e2e-browser/1.0';
  }

  /** Single GET, no redirect following. */
  get(url: string): Promise<BrowserPage> {
    return this.#request('GET', url);
  }

  /** Single `application/x-www-form-urlencoded` POST, no redirect following. */
  postForm(url: string, fields: Record<string, string>): Promise<BrowserPage> {
    return this.#request('POST', url, new URLSearchParams(fields).toString());
  }

  /**
   * GETs `url` and follows 3xx responses (relative `Location`s resolved against the current URL)
   * until a non-redirect page, or until `stopAt(nextUrl)` is true — then the returned page is
   * `{ url: nextUrl, status: <the 3xx>, headers/body of the redirecting response }` and nextUrl is
   * not requested. `stopAt` is only consulted for redirect targets, never for `url` itself.
   */
  async follow(url: string, opts: FollowOptions = {}): Promise<BrowserPage> {
    return this.#followFrom(await this.get(url), undefined, opts);
  }

  /**
   * Parses the page's `<form>` (action, method, current field values), overrides/adds `fields`,
   * submits it like a browser and follows redirects (same `stopAt` semantics as `follow`).
   */
  async submitForm(page: BrowserPage, fields: Record<string, string> = {}, opts: SubmitFormOptions = {}): Promise<BrowserPage> {
    const forms = parseForms(page.body, page.url);
    const index = opts.formIndex ?? 0;
    const form = forms[index];
    if (!form) {
      throw new Error(`submitForm: no <form> #${index} on ${page.url} (status ${page.status}); found ${forms.length} form(s). Body starts: ${page.body.slice(0, 300)}`);
    }
    const data = new URLSearchParams({ ...form.fields, ...fields }).toString();
    if (form.method === 'GET') {
      const target = new URL(form.action);
      target.search = data;
      target.hash = '';
      return this.follow(target.href, opts);
    }
    const first = await this.#request('POST', form.action, data);
    return this.#followFrom(first, data, opts);
  }

  /** Cookies that would be sent to `url` (name -> value). */
  cookiesFor(url: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.#matchingCookies(new URL(url))) out[c.name] ??= c.value;
    return out;
  }

  /** Forget all cookies (e.g. to simulate a fresh browser without a provider session). */
  clearCookies(): void {
    this.#jar.clear();
  }

  async #followFrom(page: BrowserPage, postBody: string | undefined, opts: FollowOptions): Promise<BrowserPage> {
    const maxRedirects = opts.maxRedirects ?? 20;
    let current = page;
    let body = postBody; // re-sent only for 307/308 after a POST
    for (let hops = 0; isRedirect(current.status); hops++) {
      const location = current.headers.get('location');
      if (!location) return current;
      const next = new URL(location, current.url);
      if ((next.protocol !== 'http:' && next.protocol !== 'https:') || opts.stopAt?.(new URL(next.href))) {
        return { url: next.href, status: current.status, headers: current.headers, body: current.body };
      }
      if (hops >= maxRedirects) throw new Error(`BrowserClient: more than ${maxRedirects} redirects (last: ${next.href})`);
      if (body !== undefined && (current.status === 307 || current.status === 308)) {
        current = await this.#request('POST', next.href, body);
      } else {
        body = undefined;
        current = await this.#request('GET', next.href);
      }
    }
    return current;
  }

  async #request(method: 'GET' | 'POST', url: string, body?: string): Promise<BrowserPage> {
    const target = new URL(url);
    target.hash = '';
    const headers = new Headers({
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'user-agent': this.#userAgent,
    });
    const cookie = this.#matchingCookies(target)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    if (cookie) headers.set('cookie', cookie);
    if (body !== undefined) headers.set('content-type', 'application/x-www-form-urlencoded');

    const init: RequestInit = { method, headers, redirect: 'manual' };
    if (body !== undefined) init.body = body;
    const res = await fetch(target, init);
    this.#storeCookies(target, res.headers.getSetCookie());
    return { url: target.href, status: res.status, headers: res.headers, body: await res.text() };
  }

  #storeCookies(url: URL, setCookies: string[]): void {
    if (setCookies.length === 0) return;
    let jar = this.#jar.get(url.host);
    if (!jar) {
      jar = new Map();
      this.#jar.set(url.host, jar);
    }
    for (const header of setCookies) {
      const cookie = parseSetCookie(header, url);
      if (!cookie) continue;
      const key = `${cookie.name}\0${cookie.path}`;
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) jar.delete(key);
      else jar.set(key, cookie);
    }
  }

  #matchingCookies(url: URL): StoredCookie[] {
    const jar = this.#jar.get(url.host);
    if (!jar) return [];
    const now = Date.now();
    const out: StoredCookie[] = [];
    for (const [key, c] of jar) {
      if (c.expiresAt !== undefined && c.expiresAt <= now) {
        jar.delete(key);
        continue;
      }
      if (pathMatches(url.pathname || '/', c.path)) out.push(c);
    }
    // RFC 6265 §5.4: longer paths first.
    return out.sort((a, b) => b.path.length - a.path.length);
  }
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/** RFC 6265 §5.1.4 default-path. */
function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/')) return '/';
  const last = p.lastIndexOf('/');
  return last <= 0 ? '/' : p.slice(0, last);
}

function parseSetCookie(header: string, url: URL): StoredCookie | undefined {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (!name) return undefined;

  let path: string | undefined;
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attr of attrs) {
    const i = attr.indexOf('=');
    const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
    const val = i === -1 ? '' : attr.slice(i + 1).trim();
    if (key === 'path') {
      path = val.startsWith('/') ? val : undefined;
    } else if (key === 'max-age') {
      if (/^-?\d+$/.test(val)) maxAge = Number(val);
    } else if (key === 'expires') {
      const t = Date.parse(val);
      if (!Number.isNaN(t)) expires = t;
    }
  }
  let expiresAt: number | undefined;
  if (maxAge !== undefined) expiresAt = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
  else if (expires !== undefined) expiresAt = expires;
  return { name, value, path: path ?? defaultPath(url), expiresAt };
}

/* ------------------------------------------------------------------------------------------ */
/* Minimal HTML form / link parsing (good enough for server-rendered pages like oidc-provider's). */
/* ------------------------------------------------------------------------------------------ */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function parseAttributes(tagInner: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of tagInner.matchAll(re)) {
    const name = m[1]!.toLowerCase();
    if (name in attrs) continue;
    attrs[name] = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** All `<form>`s of an HTML document, in document order. */
export function parseForms(html: string, baseUrl: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi)) {
    const attrs = parseAttributes(m[1] ?? '');
    const inner = m[2] ?? '';
    const fields: Record<string, string> = {};

    const controls = /<input\b([^>]*)>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea\s*>|<select\b([^>]*)>([\s\S]*?)<\/select\s*>/gi;
    for (const c of inner.matchAll(controls)) {
      if (c[1] !== undefined) {
        const a = parseAttributes(c[1]);
        const type = (a['type'] ?? 'text').toLowerCase();
        if (!a['name'] || 'disabled' in a) continue;
        if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
        if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
        fields[a['name']] = a['value'] ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
      } else if (c[2] !== undefined) {
        const a = parseAttributes(c[2]);
        if (a['name'] && !('disabled' in a)) fields[a['name']] = decodeHtmlEntities((c[3] ?? '').replace(/^\r?\n/, ''));
      } else if (c[4] !== undefined) {
        const a = parseAttributes(c[4]);
        if (!a['name'] || 'disabled' in a) continue;
        const options = [...(c[5] ?? '').matchAll(/<option\b([^>]*)>([^<]*)/gi)].map((o) => {
          const oa = parseAttributes(o[1] ?? '');
          return { value: oa['value'] ?? decodeHtmlEntities((o[2] ?? '').trim()), selected: 'selected' in oa };
        });
        const chosen = options.find((o) => o.selected) ?? options[0];
        if (chosen) fields[a['name']] = chosen.value;
      }
    }

    const method = (attrs['method'] ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
    const action = new URL(attrs['action'] || baseUrl, baseUrl).href;
    forms.push({ action, method, fields });
  }
  return forms;
}

/** All `<a href>` links of an HTML document as absolute URLs with their text content. */
export function parseLinks(html: string, baseUrl: string): Array<{ href: string; text: string }> {
  const links: Array<{ href: string; text: string }> = [];
  for (const m of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const href = parseAttributes(m[1] ?? '')['href'];
    if (href === undefined) continue;
    links.push({
      href: new URL(href, baseUrl).href,
      text: decodeHtmlEntities((m[2] ?? '').replace(/<[^>]*>/g, '')).trim(),
    });
  }
  return links;
}

/* ------------------------------------------------------------------------------------------ */
/* oidc-provider dev interactions                                                              */
/* ------------------------------------------------------------------------------------------ */

export interface AuthorizeAtOidcPeerOptions {
  /** Login id typed into the dev login form (any value is accepted; it becomes the account id / `sub`). */
  login: string;
  /** 'approve' submits the consent form; 'deny' follows the consent page's "[ Cancel ]" (abort) link → `error=access_denied`. */
  consent: 'approve' | 'deny';
  /** Passed to every `follow`/`submitForm`; see `FollowOptions.stopAt`. Without it the browser follows redirects to the end. */
  stopAt?: (url: URL) => boolean;
}

type DevPrompt = { kind: 'login' | 'consent'; formIndex: number };

function detectDevPrompt(page: BrowserPage): DevPrompt | undefined {
  if (page.status !== 200 || !page.body.includes('<form')) return undefined;
  const forms = parseForms(page.body, page.url);
  for (const [formIndex, form] of forms.entries()) {
    const prompt = form.fields['prompt'];
    if (form.method === 'POST' && /\/interaction\/[^/]+$/.test(new URL(form.action).pathname) && (prompt === 'login' || prompt === 'consent')) {
      return { kind: prompt, formIndex };
    }
  }
  return undefined;
}

/**
 * Drives oidc-provider's dev interaction pages: from the provider's authorization URL (or any URL
 * that redirects to it), log in as `login`, then approve (or deny) consent, and return the final
 * page/URL where the browser lands outside the provider.
 *
 * - With `stopAt`, the returned page is usually the (not requested) redirect to your redirect_uri:
 *   `{ url: 'https://rp/cb?code=…&state=…&iss=…', status: 303 }`.
 * - Without `stopAt`, redirects are followed until a non-redirect page (e.g. your real callback's response).
 * - Steps that the provider skips are skipped here too: if this browser already has a provider
 *   session, the login page is not shown (and `login` is ignored — use a new BrowserClient or
 *   `clearCookies()` to switch users); if the account already granted the requested scopes to
 *   the client, the consent page is not shown ('deny' then cannot happen — the code is issued).
 * - Returns (instead of throwing) any page that is not a dev login/consent page, e.g. the
 *   provider's HTML error page (status 400) for an invalid authorization request.
 */
export async function authorizeAtOidcPeer(browser: BrowserClient, startUrl: string, opts: AuthorizeAtOidcPeerOptions): Promise<BrowserPage> {
  const followOpts: FollowOptions = opts.stopAt ? { stopAt: opts.stopAt } : {};
  let page = await browser.follow(startUrl, followOpts);
  for (let step = 0; step < 10; step++) {
    const prompt = detectDevPrompt(page);
    if (!prompt) return page;
    if (prompt.kind === 'login') {
      page = await browser.submitForm(page, { login: opts.login, password: 'any-password' }, { ...followOpts, formIndex: prompt.formIndex });
    } else if (opts.consent === 'approve') {
      page = await browser.submitForm(page, {}, { ...followOpts, formIndex: prompt.formIndex });
    } else {
      const abort = parseLinks(page.body, page.url).find((l) => /\/interaction\/[^/]+\/abort$/.test(new URL(l.href).pathname));
      if (!abort) throw new Error(`authorizeAtOidcPeer: no abort link on consent page ${page.url}`);
      page = await browser.follow(abort.href, followOpts);
    }
  }
  throw new Error(`authorizeAtOidcPeer: still on an interaction page after 10 steps (${page.url})`);
}
