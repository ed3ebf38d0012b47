import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import type { HostedDomain } from './domain.ts';
import type { PageLook } from './look.ts';

/** What every hosted-UI endpoint gets: the app, the domain reached, the request and reply. */
export interface HostedContext {
  app: App;
  hd: HostedDomain;
  req: FastifyRequest;
  reply: FastifyReply;
  /** The client's UI customization and terms, for pages (look.ts). */
  look?: PageLook;
}

export type Endpoint = (ctx: HostedContext) => Promise<FastifyReply>;
