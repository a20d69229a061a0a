import type { TestRequest } from '../catalog/app-definition.js';
import { renderTemplate } from '../catalog/template.js';
import type { Credentials, Integration } from '../model.js';
import type { OutgoingRequest } from '../schemes/auth-scheme.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, clientOf, schemeModule, type ServiceContext } from './service-context.js';

/** What the app's test endpoint said. `body` is the parsed JSON answer, or null when it was not JSON. */
export interface TestAnswer {
  status: number;
  statusText: string;
  body: unknown;
}

/** The app could not be asked (network, timeout): says nothing about the credentials. */
export class TestRequestUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TestRequestUnreachable';
  }
}

const TEST_TIMEOUT_MS = 10_000;
/** Identity lives in small answers; a larger one is not read further. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** The app's test request, when it has one and its URL can be built from the account's fields. */
export function testRequestOf(ctx: ServiceContext, integration: Integration): TestRequest | undefined {
  return appOf(ctx, integration.app)?.testRequest;
}

/**
 * Sends the app's test request with the credentials applied exactly as the proxy would apply them.
 * Resolves with the answer whatever its status; rejects with TestRequestUnreachable when there is
 * no answer, and with MissingTemplateFieldError when the URL needs a field the account lacks.
 */
export async function callTestEndpoint(
  ctx: ServiceContext,
  integration: Integration,
  test: TestRequest,
  credentials: Credentials,
  data: Readonly<Record<string, string>>,
): Promise<TestAnswer> {
  const resolved = resolveIntegrationScheme(appOf(ctx, integration.app), integration);
  const scheme = schemeModule(integration);
  const base = renderTemplate(resolved.baseUrl, data, { encode: true }).replace(/\/+$/, '');
  const url = new URL(base + renderTemplate(test.path, data, { encode: true }));
  const request: OutgoingRequest = { headers: { accept: 'application/json', ...appOf(ctx, integration.app)?.defaultHeaders }, query: new URLSearchParams(), method: test.method, url };
  scheme.apply(credentials, resolved, data, request, scheme.signsEachRequest ? await clientOf(ctx, integration) : undefined);
  for (const [name, value] of request.query) url.searchParams.append(name, value);
  let response: Response;
  try {
    const body = test.body === undefined ? undefined : JSON.stringify(test.body);
    if (body !== undefined) request.headers['content-type'] = 'application/json';
    response = await fetch(url, { method: test.method, headers: request.headers, body, redirect: 'manual', signal: AbortSignal.timeout(TEST_TIMEOUT_MS) });
  } catch (error) {
    throw new TestRequestUnreachable(`${url.host} could not be reached (${describeFetchError(error)})`, { cause: error });
  }
  return { status: response.status, statusText: response.statusText, body: await readJson(response) };
}

async function readJson(response: Response): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    return null;
  }
  try {
    const text = await response.text();
    return text.length > MAX_ANSWER_BYTES ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer in ${TEST_TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : 'network error');
}
