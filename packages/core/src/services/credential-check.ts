import type { AuthSchemeName } from '../catalog/app-definition.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { AccountIdentity, Credentials, Integration } from '../model.js';
import { identityFromAnswer } from './account-identity.js';
import { MissingTemplateFieldError } from '../catalog/template.js';
import { callTestEndpoint, TestRequestUnreachable, testRequestOf } from './app-test-request.js';
import type { ServiceContext } from './service-context.js';

/** Credentials a person typed: nothing else has proved that they work. */
const CHECKED_SCHEMES: ReadonlySet<AuthSchemeName> = new Set(['API_KEY', 'BASIC', 'BEARER_TOKEN']);

export interface CheckResult {
  /** False when there was nothing to check with (another scheme, or an app without a test endpoint). */
  checked: boolean;
  identity: AccountIdentity | null;
}

/**
 * Asks the app whether typed credentials work, before an account holding them becomes ACTIVE.
 * Refused credentials → CREDENTIALS_REJECTED (the caller's problem, 400); no usable answer →
 * CREDENTIALS_UNVERIFIED (502): the app may be down, and an unproven key is not made ACTIVE.
 */
export async function checkCredentials(
  ctx: ServiceContext,
  integration: Integration,
  credentials: Credentials,
  data: Readonly<Record<string, string>>,
): Promise<CheckResult> {
  const test = testRequestOf(ctx, integration);
  if (!CHECKED_SCHEMES.has(integration.authScheme) || !test) return { checked: false, identity: null };
  let answer;
  try {
    answer = await callTestEndpoint(ctx, integration, test, credentials, data);
  } catch (error) {
    if (error instanceof MissingTemplateFieldError) {
      throw new AuthlinkError('MISSING_FIELD', `${integration.app} needs ${error.field} to check the credentials`, { cause: error });
    }
    if (error instanceof TestRequestUnreachable) {
      throw new AuthlinkError('CREDENTIALS_UNVERIFIED', `the credentials could not be checked: ${error.message}; try again, or initiate with validate: false`, { cause: error });
    }
    throw error;
  }
  const answered = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  if (answer.status >= 200 && answer.status < 300) return { checked: true, identity: identityFromAnswer(answer.body, test.identity) };
  ctx.logger.info({ projectId: integration.projectId, app: integration.app, status: answer.status }, 'credential check did not pass');
  if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
    throw new AuthlinkError('CREDENTIALS_REJECTED', `${integration.app} refused these credentials (its test endpoint answered ${answered})`);
  }
  throw new AuthlinkError('CREDENTIALS_UNVERIFIED', `the credentials could not be checked: ${integration.app} answered ${answered}; try again, or initiate with validate: false`);
}
