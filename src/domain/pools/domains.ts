import { createHash } from 'node:crypto';
import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type {
  CreateUserPoolDomainRequest,
  DomainDescriptionType,
  UpdateUserPoolDomainRequest,
} from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { UserPoolDomain } from '../types.ts';
import { getPool } from './user-pools.ts';

// Cognito's words: aws-samples/websocket-chat-application#56, hashicorp/terraform-provider-aws
// (InvalidParameterException for both).
const domainTaken = () => invalidParameter('Domain already associated with another user pool.');
// Cognito's words for Update/Delete of a domain the pool does not hold (aws-amplify/amplify-cli
// e2e tests: "InvalidParameterException: No such domain or user pool exists.").
const noSuchDomain = () => invalidParameter('No such domain or user pool exists.');

/** Where a custom domain points: a stable CloudFront-like host name, as Cognito answers one. */
const cloudFrontDomain = (d: UserPoolDomain) =>
  `d${createHash('sha256').update(`${d.region}/${d.domain}`).digest('hex').slice(0, 13)}.cloudfront.net`;

function checkManagedLoginVersion(v: number | null): number {
  if (v !== 1 && v !== 2) throw invalidParameter('ManagedLoginVersion must be 1 or 2.');
  return v;
}

/** Cognito's Version is the domain's last change as yyyyMMddHHmmss (e.g. "20190128175402"). */
const version = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/**
 * Where Tobira serves a prefix domain's hosted UI (hosted-ui/domain.ts): on the configured base
 * domain, else `<prefix>.auth.<region>.localhost` (browsers resolve *.localhost to loopback), on
 * Tobira's own port; `/_domain/<prefix>` on the public URL works as well.
 */
export const servedHost = (app: App, d: UserPoolDomain) =>
  app.config.hostedUiBaseDomain ? `${d.domain}.${app.config.hostedUiBaseDomain}` : `${d.domain}.auth.${d.region}.localhost`;

/**
 * CloudFrontDistribution says where the domain is served: for a prefix domain, the host Tobira
 * answers on (servedHost); for a custom domain, a stable CloudFront-like name as Cognito's.
 */
export function describeDomain(app: App, d: UserPoolDomain): DomainDescriptionType {
  return {
    UserPoolId: d.poolId,
    AWSAccountId: app.config.accountId,
    Domain: d.domain,
    CloudFrontDistribution: d.customDomainConfig ? cloudFrontDomain(d) : servedHost(app, d),
    Version: version(d.updatedAt),
    Status: 'ACTIVE',
    CustomDomainConfig: d.customDomainConfig ?? {},
    ...(d.managedLoginVersion !== null ? { ManagedLoginVersion: d.managedLoginVersion } : {}),
  } as DomainDescriptionType;
}

/** What Create and Update answer: the CloudFront target for custom domains only. */
export const domainResult = (d: UserPoolDomain) => ({
  ...(d.managedLoginVersion !== null ? { ManagedLoginVersion: d.managedLoginVersion } : {}),
  ...(d.customDomainConfig ? { CloudFrontDomain: cloudFrontDomain(d) } : {}),
});

/**
 * A pool may have one prefix domain and one custom domain; a domain is unique within its region
 * across every pool.
 */
export async function createDomain(app: App, region: string, input: CreateUserPoolDomainRequest): Promise<UserPoolDomain> {
  const now = app.clock.now();
  const d: UserPoolDomain = {
    region,
    domain: input.Domain,
    poolId: input.UserPoolId,
    customDomainConfig: input.CustomDomainConfig ?? null,
    managedLoginVersion: input.ManagedLoginVersion ?? 1,
    createdAt: now,
    updatedAt: now,
  };
  checkManagedLoginVersion(d.managedLoginVersion);
  // A prefix domain is one DNS label under Cognito's auth domain; a name with dots is the
  // operator's own (custom) domain and needs its certificate (Tobira's wording).
  if (d.domain.includes('.') && !d.customDomainConfig) {
    throw invalidParameter(`${d.domain} is a custom domain: give CustomDomainConfig with the CertificateArn of its certificate.`);
  }
  try {
    await app.store.tx(async (s) => {
      await getPool(s, input.UserPoolId);
      if (await s.domains.get(region, input.Domain)) throw domainTaken();
      const custom = d.customDomainConfig !== null;
      if ((await s.domains.ofPool(input.UserPoolId)).some((o) => (o.customDomainConfig !== null) === custom)) {
        // Cognito's words for a second prefix domain (aws/aws-cdk#10062); its text for a second
        // custom domain was not found.
        throw invalidParameter(custom ? 'The user pool already has a custom domain configured.' : 'User pool already has a domain configured.');
      }
      await s.domains.insert(d);
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw domainTaken();
    throw err;
  }
  return d;
}

/** Changes the certificate of a custom domain, or the managed login version. */
export async function updateDomain(app: App, region: string, input: UpdateUserPoolDomainRequest): Promise<UserPoolDomain> {
  return app.store.tx(async (s) => {
    await getPool(s, input.UserPoolId);
    const d = await s.domains.get(region, input.Domain);
    if (!d || d.poolId !== input.UserPoolId) throw noSuchDomain();
    // Cognito reads an update of a custom domain without its certificate as turning it into a
    // prefix domain, and refuses (terraform-provider-aws#43252, 2025: a ManagedLoginVersion-only update).
    if (input.CustomDomainConfig === undefined && d.customDomainConfig !== null) throw invalidParameter('Cannot convert custom domain to prefix domain.');
    if (input.CustomDomainConfig !== undefined) {
      if (d.customDomainConfig === null) throw invalidParameter('CustomDomainConfig applies to custom domains only.'); // guessed
      d.customDomainConfig = input.CustomDomainConfig;
    }
    if (input.ManagedLoginVersion !== undefined) {
      d.managedLoginVersion = checkManagedLoginVersion(input.ManagedLoginVersion);
    }
    d.updatedAt = app.clock.now();
    await s.domains.update(d);
    return d;
  });
}

export async function deleteDomain(app: App, region: string, poolId: string, domain: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getPool(s, poolId);
    const d = await s.domains.get(region, domain);
    if (!d || d.poolId !== poolId) throw noSuchDomain();
    await s.domains.delete(region, domain);
  });
}
