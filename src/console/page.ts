import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from '../hosted-ui/html.ts';
import type { Caller } from './call.ts';
import type { View } from './layout.ts';

/** What one console request knows. */
export interface ConsoleContext extends Caller {
  reply: FastifyReply;
  /** The CSRF token every form of the page carries. */
  csrf: string;
  /** Route parameters, decoded (`poolId`, `username` ...). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The path of this page, without its query: where its forms post. */
  path: string;
  /** Signed in with a cookie (so there is something to sign out of). */
  signedIn: boolean;
  /** The posted form, on a POST (a page may show what it was given, e.g. the token inspector). */
  form?: Form;
}

/** A posted form: empty fields count as absent, as a CLI user would leave them out. */
export class Form {
  constructor(readonly raw: URLSearchParams) {}
  get(name: string): string | undefined {
    const v = this.raw.get(name);
    return v === null || v === '' ? undefined : v;
  }
  /** A required field: missing is undefined too, and the API's validation names it. */
  text(name: string): string {
    return this.get(name) ?? '';
  }
  checked(name: string): boolean {
    return this.raw.get(name) === 'true';
  }
  number(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined || !/^-?\d+$/.test(v.trim()) ? undefined : Number(v);
  }
}

/** What an action leads to: another page, or this page again with a notice (a secret shown once). */
export type ActionResult = { redirect: string } | { notice: SafeHtml | string } | void;

/** One page of the console: a view and the actions its forms post (by `_action`). */
export interface ConsolePage {
  /** Under /_tobira/console, with fastify `:params`. */
  path: string;
  view: (cx: ConsoleContext) => Promise<View>;
  actions?: Record<string, (cx: ConsoleContext, form: Form) => Promise<ActionResult>>;
  /** Only for the operator or a key without a policy (console/access.ts unrestricted). */
  unrestricted?: boolean;
}
