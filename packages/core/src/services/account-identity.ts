import { decodeJwt } from 'jose';
import { renderTemplate } from '../catalog/template.js';
import type { AccountIdentity, Credentials, Integration } from '../model.js';
import { resolveJsonPointer } from '../schemes/json-pointer.js';
import { callTestEndpoint, testRequestOf } from './app-test-request.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, type ServiceContext } from './service-context.js';

type IdentityPointers = Partial<Record<keyof AccountIdentity, string>>;

const MAX_IDENTITY_VALUE = 320;

function asIdentityValue(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, MAX_IDENTITY_VALUE);
}

function compact(identity: Record<keyof AccountIdentity, unknown>): AccountIdentity | null {
  const result: AccountIdentity = {};
  for (const key of ['id', 'login', 'email', 'name'] as const) {
    const value = asIdentityValue(identity[key]);
    if (value !== undefined) result[key] = value;
  }
  return Object.keys(result).length === 0 ? null : result;
}

/** Reads the identity out of an app's answer with the catalog's JSON pointers. */
export function identityFromAnswer(body: unknown, pointers: IdentityPointers | undefined): AccountIdentity | null {
  if (!pointers || body === null || typeof body !== 'object') return null;
  const at = (pointer: string | undefined) => (pointer === undefined ? undefined : resolveJsonPointer(body, pointer));
  return compact({ id: at(pointers.id), login: at(pointers.login), email: at(pointers.email), name: at(pointers.name) });
}

/** OpenID Connect standard claims (Core §5.1) → identity. */
export function identityFromClaims(claims: Record<string, unknown>): AccountIdentity | null {
  return compact({ id: claims.sub, login: claims.preferred_username ?? claims.nickname, email: claims.email, name: claims.name });
}

function merge(first: AccountIdentity | null, second: AccountIdentity | null): AccountIdentity | null {
  if (!first) return second;
  if (!second) return first;
  return { ...second, ...first };
}

const complete = (identity: AccountIdentity | null): boolean => identity !== null && identity.id !== undefined && (identity.email !== undefined || identity.login !== undefined);

/**
 * Who the user is at the provider, after a flow that produced tokens: the (already verified) ID
 * token's claims, then userinfo, then the app's test endpoint, each only while something is
 * missing. Best effort: a connection never fails because its identity could not be learned.
 */
export async function learnIdentity(
  ctx: ServiceContext,
  integration: Integration,
  credentials: Credentials,
  data: Readonly<Record<string, string>>,
): Promise<AccountIdentity | null> {
  let identity: AccountIdentity | null = null;
  let subject: unknown;
  try {
    if (typeof credentials.idToken === 'string') {
      const claims = decodeJwt(credentials.idToken);
      subject = claims.sub;
      identity = identityFromClaims(claims);
    }
    const resolved = resolveIntegrationScheme(appOf(ctx, integration.app), integration);
    if (!complete(identity) && resolved.userinfoUrl && typeof credentials.accessToken === 'string') {
      const claims = await userinfo(renderTemplate(resolved.userinfoUrl, data, { encode: true }), credentials.accessToken);
      // OpenID Connect Core §5.3.2: userinfo about another subject than the ID token's is not used.
      if (claims && (subject === undefined || claims.sub === subject)) identity = merge(identity, identityFromClaims(claims));
    }
    const test = testRequestOf(ctx, integration);
    if (!complete(identity) && test?.identity) {
      const answer = await callTestEndpoint(ctx, integration, test, credentials, data);
      if (answer.status >= 200 && answer.status < 300) identity = merge(identity, identityFromAnswer(answer.body, test.identity));
    }
  } catch (error) {
    ctx.logger.warn({ projectId: integration.projectId, app: integration.app, err: error instanceof Error ? error.message : String(error) }, 'account identity could not be learned');
  }
  return identity;
}

async function userinfo(url: string, accessToken: string): Promise<Record<string, unknown> | null> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) return null;
  // Not JSON is no identity; a parse error would quote the answer (personal data) into the log.
  const body = (await response.json().catch(() => null)) as unknown;
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}
