import { AuthlinkError } from '../errors/authlink-error.js';

/**
 * Where the end user's browser returns after a flow. Only absolute http(s) URLs without
 * embedded credentials: anything else (javascript:, data:, relative paths) could turn the
 * callback into an open redirect or a script sink.
 */
export function validateRedirectUrl(value: string, path = '/redirectUrl'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthlinkError('INVALID_REDIRECT_URL', `${path} must be an absolute URL`, { errors: [{ path, message: 'not an absolute URL' }] });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthlinkError('INVALID_REDIRECT_URL', `${path} must use http or https`, { errors: [{ path, message: 'scheme must be http or https' }] });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AuthlinkError('INVALID_REDIRECT_URL', `${path} must not contain credentials`, { errors: [{ path, message: 'userinfo is not allowed' }] });
  }
  return url.href;
}

export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}
