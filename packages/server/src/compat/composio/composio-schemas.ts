import { Type } from '@sinclair/typebox';
import { COMPOSIO_APP_NAME_PATTERN } from './composio-names.js';

/** Inputs shared by the v1 and v3 surfaces; the translation checks each value further. */

export const ComposioAppNameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: COMPOSIO_APP_NAME_PATTERN });

/** Their scheme names; `authSchemeFromComposio` says which of them authlink has. */
export const ComposioAuthSchemeSchema = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Z0-9_]+$' });

/** Field values and secrets as Composio clients send them: translated and checked by `composio-fields.ts`. */
export const ComposioValuesSchema = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), { maxProperties: 32 });

/** Composio clients send an empty string for "no redirect". */
export const OptionalUrlSchema = Type.String({ maxLength: 2048 });

export function optionalUrl(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
