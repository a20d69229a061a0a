import type { AuthSchemeName, CredentialPlacement, FieldDefinition } from '../catalog/app-definition.js';
import type { AuthScheme, StartInput, StartResult } from './auth-scheme.js';
import { applyPlacements } from './credential-placement.js';
import { collectFields } from './field-values.js';

export interface FieldSchemeSpec {
  name: AuthSchemeName;
  /** Used when the app (e.g. one not in the catalog) declares no fields of its own. */
  defaultFields: FieldDefinition[];
  defaultPlacement: CredentialPlacement[];
}

/**
 * The shape shared by schemes whose credentials are fields the user types (API key, basic,
 * bearer token). Each scheme is its own module that states its fields and placement.
 */
export function defineFieldScheme(spec: FieldSchemeSpec): AuthScheme {
  return {
    name: spec.name,
    start({ scheme, data }: StartInput): StartResult {
      const fields = scheme.fields.length > 0 ? scheme.fields : spec.defaultFields;
      const { secrets, publicData, missing } = collectFields(fields, data);
      if (missing.length > 0) return { kind: 'form', missing };
      // Credentials carry every field (a BASIC username is not secret, but the caller needs it).
      return { kind: 'ready', credentials: { ...publicData, ...secrets }, publicData };
    },
    apply(credentials, scheme, data, request) {
      applyPlacements(scheme.placement.length > 0 ? scheme.placement : spec.defaultPlacement, credentials, data, request);
    },
  };
}
