import type { AppDefinition } from '../catalog/app-definition.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../clock.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Integration } from '../model.js';
import type { AuthScheme, OAuthClient, StartResult } from '../schemes/auth-scheme.js';
import { findAuthScheme } from '../schemes/scheme-registry.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import type { Executor } from '../storage/executor.js';
import type { Vault } from '../vault/vault.js';
import type { AccountSecrets } from './account-secrets.js';
import type { AuditLog } from './audit-log.js';
import type { IntegrationService } from './integration-service.js';
import type { Logger } from './logger.js';

export interface FlowTimings {
  /** How long a `/connect/{token}` link stays usable. */
  connectLinkTtlSeconds: number;
  /** How long the end user has at the provider between leaving and the callback. */
  oauthStateTtlSeconds: number;
}

/** What the connection services share. Built once by `createAuthlinkServices`. */
export interface ServiceContext {
  db: Executor;
  vault: Vault;
  secrets: AccountSecrets;
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  integrations: IntegrationService;
  audit: AuditLog;
  /** The URL browsers reach this server at, without a trailing slash. */
  publicUrl: string;
  timings: FlowTimings;
}

export function schemeModule(integration: Integration): AuthScheme {
  const scheme = findAuthScheme(integration.authScheme);
  if (!scheme) throw new AuthlinkError('UNSUPPORTED_AUTH_SCHEME', `${integration.authScheme} is not supported by this server yet`);
  return scheme;
}

export function appOf(context: ServiceContext, key: string): AppDefinition | undefined {
  return context.catalog.get(key);
}

export function callbackUrl(context: ServiceContext): string {
  return `${context.publicUrl}/oauth/callback`;
}

export function connectUrl(context: ServiceContext, token: string): string {
  return `${context.publicUrl}/connect/${token}`;
}

/** Runs a scheme's start step for an integration with everything the step may need. */
export async function startScheme(
  context: ServiceContext,
  integration: Integration,
  data: Readonly<Record<string, string>>,
  client: () => Promise<OAuthClient> = () => clientOf(context, integration),
): Promise<StartResult> {
  return schemeModule(integration).start({
    scheme: resolveIntegrationScheme(appOf(context, integration.app), integration),
    data,
    client,
    now: context.clock(),
  });
}

export async function clientOf(context: ServiceContext, integration: Integration): Promise<OAuthClient> {
  return { clientId: integration.clientId ?? '', clientSecret: await context.integrations.clientSecret(integration.projectId, integration.id) };
}
