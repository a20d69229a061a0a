/**
 * Minimal ambient typings for the parts of `oidc-provider` (v9, ships no types and
 * `@types/oidc-provider` is not installed) that the test harness in `oidc-peer.ts` uses.
 * Referenced from `oidc-peer.ts` with a triple-slash directive so that it is picked up
 * even when that file is compiled on its own.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcProviderContext {
    params?: Record<string, unknown>;
    body?: Record<string, unknown>;
    route?: string;
  }

  /** The Koa context as seen by middleware registered with `provider.use`. */
  export interface ProviderKoaContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    readonly oidc?: OidcProviderContext;
  }

  export type ProviderMiddleware = (ctx: ProviderKoaContext, next: () => Promise<unknown>) => Promise<unknown> | unknown;

  export interface ProviderClient {
    clientId: string;
    clientAuthMethod: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    status: number;
    statusCode: number;
    expose: boolean;
  }

  export const errors: {
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    [name: string]: new (description?: string) => OIDCProviderError;
  };

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    silent: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(fn: ProviderMiddleware): this;
    on(event: string, listener: (...args: any[]) => void): this;
    off(event: string, listener: (...args: any[]) => void): this;
    urlFor(name: string, opt?: Record<string, unknown>): string;
  }

  export default Provider;
}
