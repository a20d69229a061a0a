import { hashToken, randomToken } from '../ids.js';
import type { Credentials } from '../model.js';
import type { ConnectedAccountRow, ConnectedAccountUpdate } from '../storage/database-schema.js';
import { readProjectSettings } from './project-settings.js';
import { withQuery } from './redirect-url.js';
import type { ServiceContext } from './service-context.js';

/** How a flow that obtained credentials ends: ACTIVE now, or once the initiator confirms the user. */
export interface Completion {
  update: ConnectedAccountUpdate;
  status: 'ACTIVE' | 'INITIATED';
  /** Set when the project confirms users: where the browser goes instead of the redirect URL. */
  confirmationLocation: string | null;
}

export const AWAITING_CONFIRMATION = 'waiting for the initiator to confirm the user';

/**
 * With a project `confirmationUrl`, credentials are stored but the account stays INITIATED (and
 * its credentials unserved) until the initiator's server, which knows who its user is, confirms
 * with the one-time code: a connect link forwarded to someone else cannot attach their account.
 */
export async function planCompletion(ctx: ServiceContext, row: ConnectedAccountRow, credentials: Credentials): Promise<Completion> {
  const now = ctx.clock();
  const columns = { ...ctx.secrets.credentialColumns(row.id, credentials, now), updated_at: now.toISOString() };
  const { confirmationUrl } = await readProjectSettings(ctx.db, row.project_id);
  if (confirmationUrl === null) {
    return { update: { ...columns, status: 'ACTIVE', status_reason: null, confirmation_hash: null }, status: 'ACTIVE', confirmationLocation: null };
  }
  const code = randomToken();
  return {
    update: { ...columns, status: 'INITIATED', status_reason: AWAITING_CONFIRMATION, confirmation_hash: hashToken(code) },
    status: 'INITIATED',
    confirmationLocation: withQuery(confirmationUrl, { status: 'pending_confirmation', connectedAccountId: row.id, appName: row.app, confirmationCode: code }),
  };
}
