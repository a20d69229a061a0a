import type { AuthScheme } from './auth-scheme.js';
import { collectFields } from './field-values.js';

/** `NO_AUTH`: public APIs. Declared fields (a region, a subdomain) are still collected. */
export const noAuthScheme: AuthScheme = {
  name: 'NO_AUTH',
  start({ scheme, data }) {
    const { publicData, missing } = collectFields(scheme.fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    return { kind: 'ready', credentials: {}, publicData };
  },
  apply() {
    // Nothing to add.
  },
};
