import type { App } from '../app.ts';
import type { OperationIO, OperationName } from '../generated/cognito-idp.ts';
import type { OperationIO as IdentityIO, OperationName as IdentityOperation } from '../generated/cognito-identity.ts';
import type { RequestOrigin } from '../domain/threat/origin.ts';

/** What one request knows besides its input. */
export interface RequestContext {
  app: App;
  requestId: string;
  /** From the SigV4 credential scope when the request is signed, else the default region. */
  region: string;
  /** The caller's address, for loopback-only endpoints and rate limits. */
  sourceIp: string;
  /**
   * Where the call comes from, as threat protection sees it (domain/threat/origin.ts). Passed down
   * as an argument, not kept in an AsyncLocalStorage: while any of those is on, Node runs hooks at
   * every promise of the process.
   */
  origin: RequestOrigin;
}

export type Handler<K extends OperationName> = (
  input: OperationIO[K]['input'],
  ctx: RequestContext,
) => Promise<OperationIO[K]['output'] | Record<string, never>>;

export type Handlers = { [K in OperationName]?: Handler<K> };

/** The handlers of cognito-identity (identity pools) operations. */
export type IdentityHandlers = {
  [K in IdentityOperation]?: (input: IdentityIO[K]['input'], ctx: RequestContext) => Promise<IdentityIO[K]['output'] | Record<string, never>>;
};

/** Epoch milliseconds to the wire's epoch seconds (with fraction). */
export const toEpochSeconds = (ms: number) => ms / 1000;
