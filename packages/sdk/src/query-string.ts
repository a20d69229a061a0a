import type { QueryParams } from './types.js';

/**
 * Serializes query parameters, `?`-prefixed, or `''` when there are none.
 * `undefined` members are left out and arrays repeat the parameter (`labels=a&labels=b`),
 * which is how the authlink API reads multi-valued filters.
 */
export function buildQueryString(params: QueryParams | undefined): string {
  if (params === undefined) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly (string | number | boolean)[]) search.append(name, String(item));
    } else {
      search.append(name, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
