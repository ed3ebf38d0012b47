import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import type { UserPool, UserPoolDomain } from '../domain/types.ts';

/** The user pool domain a request reached, and how to address it again. */
export interface HostedDomain {
  domain: UserPoolDomain;
  pool: UserPool;
  /** The path under which this domain's endpoints live: '' (by Host) or '/_domain/<prefix>'. */
  base: string;
  /** Served over TLS (cookies are Secure then). */
  secure: boolean;
}

// `<prefix>.auth.<region>.localhost`: browsers resolve every *.localhost name to loopback.
const LOCALHOST_DOMAIN = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.auth\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.localhost$/;

const hostName = (req: FastifyRequest) => (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
const isTls = (req: FastifyRequest, app: App) => req.protocol === 'https' || (app.config.publicUrl ?? '').startsWith('https:');

/** A prefix domain of that name in any region (prefixes are unique per region; the first wins). */
async function prefixDomain(app: App, prefix: string, region?: string): Promise<UserPoolDomain | undefined> {
  if (region) {
    const d = await app.store.domains.get(region, prefix);
    return d && d.customDomainConfig === null ? d : undefined;
  }
  return (await app.store.domains.byName(prefix)).find((d) => d.customDomainConfig === null);
}

/**
 * Finds the domain by the Host header: `<prefix>.auth.<region>.localhost`, `<prefix>.<base domain>`
 * (--hosted-ui-base-domain), or a custom domain by its name; or, given `pathPrefix`, the prefix
 * domain of `/_domain/<prefix>/...`. Undefined: this request is for no domain of ours.
 */
export async function resolveDomain(app: App, req: FastifyRequest, pathPrefix?: string): Promise<HostedDomain | undefined> {
  let domain: UserPoolDomain | undefined;
  let base = '';
  if (pathPrefix !== undefined) {
    if (!/^[a-z0-9-]{1,63}$/.test(pathPrefix)) return undefined;
    domain = await prefixDomain(app, pathPrefix);
    base = `/_domain/${pathPrefix}`;
  } else {
    const host = hostName(req);
    if (!host || host.length > 253) return undefined;
    const local = LOCALHOST_DOMAIN.exec(host);
    const baseDomain = app.config.hostedUiBaseDomain;
    if (local) domain = await prefixDomain(app, local[1]!, local[2]!);
    else if (baseDomain && host.endsWith(`.${baseDomain}`) && !host.slice(0, -baseDomain.length - 1).includes('.')) {
      domain = await prefixDomain(app, host.slice(0, -baseDomain.length - 1));
    } else domain = (await app.store.domains.byName(host)).find((d) => d.customDomainConfig !== null);
  }
  if (!domain) return undefined;
  const pool = await app.store.pools.get(domain.poolId);
  if (!pool) return undefined;
  return { domain, pool, base, secure: isTls(req, app) };
}

/**
 * The URL of a pool's hosted UI that works from anywhere the server is reached: on the base
 * domain when one is configured, else by path on the public URL. Undefined when the pool has no
 * domain.
 */
export async function hostedUiUrl(app: App, poolId: string): Promise<string | undefined> {
  const domains = await app.store.domains.ofPool(poolId);
  const prefix = domains.find((d) => d.customDomainConfig === null);
  const publicUrl = new URL(app.publicUrl());
  if (prefix && app.config.hostedUiBaseDomain) {
    return `${publicUrl.protocol}//${prefix.domain}.${app.config.hostedUiBaseDomain}${publicUrl.port ? `:${publicUrl.port}` : ''}`;
  }
  if (prefix) return `${app.publicUrl().replace(/\/+$/, '')}/_domain/${prefix.domain}`;
  const custom = domains.find((d) => d.customDomainConfig !== null);
  return custom ? `https://${custom.domain}` : undefined;
}
