/** Every value placed in a page goes through this: pages show app names and user input. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f6f8;color:#1d2330;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;font-weight:600;margin-top:1rem}
small{display:block;color:#5b6475;font-weight:400}
input{width:100%;box-sizing:border-box;padding:.55rem .7rem;margin-top:.3rem;border:1px solid #c8ccd4;border-radius:8px;font:inherit}
button{margin-top:1.5rem;width:100%;padding:.7rem;border:0;border-radius:8px;background:#2d5bff;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{background:#fdecec;color:#8a1c1c;padding:.7rem;border-radius:8px}.ok{color:#17663a}
`;

const policy = (formAction: string): string => `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;

/**
 * Pages carry no script at all; the CSP says so, and forbids framing (clickjacking on a form
 * that takes credentials) and leaking the connect URL through Referer.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': policy("'self'"),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
});

/**
 * The headers of a page with a form. Browsers hold the redirects that answer a form submission to
 * `form-action` as well as the form's own action, so the policy names every place the answer may
 * send the browser on to (CSP sources), and this server's public origin, which the form posts to.
 */
export function formPageHeaders(postsTo: string, continuesTo: readonly string[]): Record<string, string> {
  const sources = new Set(["'self'", new URL(postsTo).origin, ...continuesTo]);
  return { ...PAGE_HEADERS, 'content-security-policy': policy([...sources].join(' ')) };
}

export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}
