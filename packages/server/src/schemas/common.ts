import { Type, type TSchema } from '@sinclair/typebox';
import { AUTH_SCHEME_NAMES, CONNECTION_STATUSES } from '@authlink/core';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable machine-readable error code.' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details.' },
);

export const AuthSchemeSchema = Type.Union(
  AUTH_SCHEME_NAMES.map((name) => Type.Literal(name)),
  { description: 'How the connection authenticates.' },
);

export const ConnectionStatusSchema = Type.Union(CONNECTION_STATUSES.map((status) => Type.Literal(status)));

/** Ids this server issues: prefix, underscore, base36/hex. Anything else cannot exist. */
export const IdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z]+_[0-9a-z]+$' });
export const AppKeySchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' });
export const EntityIdSchema = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[^\\u0000-\\u001f\\u007f/]+$',
  description: 'The project chooses entity ids; any printable text without "/".',
});
export const LabelSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
export const LabelsSchema = Type.Array(LabelSchema, { maxItems: 32 });
export const UrlSchema = Type.String({ minLength: 1, maxLength: 2048 });
export const FieldValuesSchema = Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,63}$' }), Type.String({ maxLength: 8192 }), {
  maxProperties: 32,
  description: 'Field values by name: apiKey, username, password, token, or an app-specific field such as shop.',
});

export const PageQuerySchema = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
};

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

export const ErrorResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
};
