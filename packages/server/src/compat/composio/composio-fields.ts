import { AuthlinkError, type AuthConfigInput, type FieldProblem } from '@authlink/core';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FieldValuesSchema } from '../../schemas/common.js';
import { AuthConfigSchema } from '../../schemas/resources.js';

/**
 * Composio's names for the values our schemes share. Field names are otherwise the app's own
 * (`shop`, `subdomain`…), so anything not listed here passes through unchanged.
 */
const FIELD_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  api_key: 'apiKey',
  generic_api_key: 'apiKey',
  bearer_token: 'token',
});

/** Members of a Composio connection state that describe the state rather than carry a field value. */
const STATE_MEMBERS = new Set(['status', 'long_redirect_url']);

/** Composio's integration secrets (v1 `authConfig`, v3 `credentials`) and ours. */
const CREDENTIAL_NAMES: Readonly<Record<string, Exclude<keyof AuthConfigInput, 'scopes' | 'pkce' | 'authorizationParams' | 'tokenEndpointAuthMethod'>>> = Object.freeze({
  client_id: 'clientId',
  clientId: 'clientId',
  consumer_key: 'clientId',
  client_secret: 'clientSecret',
  clientSecret: 'clientSecret',
  consumer_secret: 'clientSecret',
  authorization_url: 'authorizationUrl',
  authorizationUrl: 'authorizationUrl',
  token_url: 'tokenUrl',
  tokenUrl: 'tokenUrl',
  revocation_url: 'revocationUrl',
  revocationUrl: 'revocationUrl',
  base_url: 'baseUrl',
  baseUrl: 'baseUrl',
  issuer: 'issuer',
});

function refuse(problems: FieldProblem[]): never {
  throw new AuthlinkError('VALIDATION_FAILED', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { errors: problems });
}

function schemaProblems(schema: TSchema, value: unknown, path: string): FieldProblem[] {
  return [...Value.Errors(schema, value)].map((error) => ({ path: `${path}${error.path}`, message: error.message }));
}

/**
 * A connection's field values as Composio clients send them (v1 `connectionParams`, v3
 * `config.val`) → ours (`data`). Values must be strings, as Composio documents them.
 */
export function fieldValuesFromComposio(input: Readonly<Record<string, unknown>> | undefined, path: string): Record<string, string> | undefined {
  if (input === undefined) return undefined;
  const values: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(input)) {
    if (STATE_MEMBERS.has(name)) continue;
    if (typeof value !== 'string') {
      problems.push({ path: `${path}/${name}`, message: 'must be a string' });
      continue;
    }
    const ours = FIELD_ALIASES[name] ?? name;
    if (values[ours] !== undefined && values[ours] !== value) problems.push({ path: `${path}/${name}`, message: `gives ${ours} a second, different value` });
    values[ours] = value;
  }
  problems.push(...schemaProblems(FieldValuesSchema, values, path));
  if (problems.length > 0) refuse(problems);
  return values;
}

function scopesOf(value: unknown, path: string, problems: FieldProblem[]): string[] | undefined {
  // Composio takes scopes as a list or as one comma- or space-separated string.
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((scope) => scope !== '');
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string')) return value as string[];
  problems.push({ path, message: 'must be a string or a list of strings' });
  return undefined;
}

/**
 * An integration's secrets as Composio clients send them → our `authConfig`. A name we do not
 * know is refused with the list of names we do: silently dropping a setting would leave the
 * integration configured differently from what its caller believes.
 */
export function authConfigFromComposio(input: Readonly<Record<string, unknown>> | undefined, path: string): AuthConfigInput | undefined {
  if (input === undefined) return undefined;
  const config: AuthConfigInput = {};
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(input)) {
    const at = `${path}/${name}`;
    if (value === undefined || value === null) continue;
    if (name === 'scopes') {
      config.scopes = scopesOf(value, at, problems);
      continue;
    }
    const ours = CREDENTIAL_NAMES[name];
    if (ours === undefined) {
      problems.push({ path: at, message: `not supported by authlink; use one of scopes, ${Object.keys(CREDENTIAL_NAMES).join(', ')}` });
    } else if (typeof value !== 'string') {
      problems.push({ path: at, message: 'must be a string' });
    } else {
      config[ours] = value;
    }
  }
  if (problems.length > 0) refuse(problems);
  const invalid = schemaProblems(AuthConfigSchema, config, path);
  if (invalid.length > 0) refuse(invalid);
  return config;
}

/** The public part of an integration's secrets, in Composio's names: never the client secret. */
export function publicCredentials(clientId: string | null, scopes: readonly string[]): Record<string, string | string[]> {
  return { ...(clientId !== null && { client_id: clientId }), scopes: [...scopes] };
}
