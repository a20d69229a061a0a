import type { ConnectedAccountRow } from '../storage/database-schema.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, clientOf, schemeModule, type ServiceContext } from './service-context.js';

/** How revoking an account's tokens at the provider went when it was deleted. */
export type RevocationOutcome = 'succeeded' | 'failed' | 'not_supported' | 'not_applicable';

/**
 * RFC 7009 revocation at the provider, best effort: a failure is logged and reported, never
 * thrown, because the account is erased either way.
 */
export async function revokeAtProvider(ctx: ServiceContext, projectId: string, row: ConnectedAccountRow): Promise<RevocationOutcome> {
  if (row.status === 'INITIATED' || row.status === 'FAILED' || row.credentials_ciphertext === null) return 'not_applicable';
  const integration = await ctx.integrations.get(projectId, row.integration_id);
  const scheme = schemeModule(integration);
  if (!scheme.revoke) return 'not_supported';
  try {
    const revoked = await scheme.revoke({
      scheme: resolveIntegrationScheme(appOf(ctx, integration.app), integration),
      client: await clientOf(ctx, integration),
      credentials: ctx.secrets.openCredentials(row.id, row.credentials_ciphertext),
      data: JSON.parse(row.data) as Record<string, string>,
    });
    return revoked ? 'succeeded' : 'not_supported';
  } catch (error) {
    ctx.logger.warn({ projectId, connectedAccountId: row.id, err: error instanceof Error ? error.message : String(error) }, 'token revocation failed');
    return 'failed';
  }
}
