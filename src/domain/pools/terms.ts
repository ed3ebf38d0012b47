import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type { CreateTermsRequest, TermsDescriptionType, TermsType, UpdateTermsRequest } from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { Terms } from '../../store/repos/terms.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import { getPoolClient } from './app-clients.ts';
import { getPool } from './user-pools.ts';

// guessed: Cognito's texts for these were not found.
const termsExist = (name: string, clientId: string) => new CognitoError('TermsExistsException', `Terms ${name} already exist for app client ${clientId}.`);
// guessed
const notFound = (id: string) => resourceNotFound(`Terms ${id} does not exist.`);

/** Loopback hosts, where plain http is accepted as for callback URLs. */
const LOOPBACK = (host: string) => host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';

/** TermsSource LINK needs Links: each an absolute https URL (http on loopback only). */
function checkLinks(source: string, links: Record<string, string> | undefined): Record<string, string> {
  // guessed
  if (source === 'LINK' && (!links || Object.keys(links).length === 0)) throw invalidParameter('Links are required when TermsSource is LINK.');
  const out: Record<string, string> = {};
  for (const [language, url] of Object.entries(links ?? {})) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      // guessed
      throw invalidParameter(`Invalid link ${url} for ${language}.`);
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK(u.hostname))) {
      // guessed
      throw invalidParameter(`Invalid link ${url} for ${language}: links must use https.`);
    }
    out[language] = url;
  }
  return out;
}

export function describeTerms(t: Terms): TermsType {
  return {
    TermsId: t.termsId,
    UserPoolId: t.poolId,
    ClientId: t.clientId,
    TermsName: t.termsName,
    TermsSource: t.termsSource,
    Enforcement: t.enforcement,
    Links: t.links,
    CreationDate: t.createdAt / 1000,
    LastModifiedDate: t.updatedAt / 1000,
  };
}

export const termsSummary = (t: Terms): TermsDescriptionType => ({
  TermsId: t.termsId,
  TermsName: t.termsName,
  Enforcement: t.enforcement,
  CreationDate: t.createdAt / 1000,
  LastModifiedDate: t.updatedAt / 1000,
});

/** A client has at most one document of each name (terms-of-use, privacy-policy). */
export async function createTerms(app: App, input: CreateTermsRequest): Promise<Terms> {
  const now = app.clock.now();
  const t: Terms = {
    poolId: input.UserPoolId,
    termsId: uuid(app.random),
    clientId: input.ClientId,
    termsName: input.TermsName,
    termsSource: input.TermsSource,
    enforcement: input.Enforcement,
    links: checkLinks(input.TermsSource, input.Links),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await app.store.tx(async (s) => {
      await getPoolClient(s, t.poolId, t.clientId);
      if ((await s.terms.ofClient(t.clientId)).some((o) => o.termsName === t.termsName)) throw termsExist(t.termsName, t.clientId);
      await s.terms.insert(t);
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw termsExist(t.termsName, t.clientId);
    throw err;
  }
  return t;
}

export async function getTerms(store: Store, poolId: string, termsId: string): Promise<Terms> {
  await getPool(store, poolId);
  const t = await store.terms.get(poolId, termsId);
  if (!t) throw notFound(termsId);
  return t;
}

/** Changes what is given; a new name the client already has is TermsExistsException. */
export async function updateTerms(app: App, input: UpdateTermsRequest): Promise<Terms> {
  let clientId = '';
  try {
    return await app.store.tx(async (s) => {
      const t = await getTerms(s, input.UserPoolId, input.TermsId);
      clientId = t.clientId;
      if (input.TermsName !== undefined && input.TermsName !== t.termsName) {
        if ((await s.terms.ofClient(t.clientId)).some((o) => o.termsName === input.TermsName)) throw termsExist(input.TermsName, t.clientId);
        t.termsName = input.TermsName;
      }
      if (input.TermsSource !== undefined) t.termsSource = input.TermsSource;
      if (input.Enforcement !== undefined) t.enforcement = input.Enforcement;
      t.links = checkLinks(t.termsSource, input.Links ?? t.links);
      t.updatedAt = app.clock.now();
      await s.terms.update(t);
      return t;
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw termsExist(input.TermsName ?? '', clientId);
    throw err;
  }
}

export async function deleteTerms(app: App, poolId: string, termsId: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getTerms(s, poolId, termsId);
    await s.terms.delete(poolId, termsId);
  });
}

/**
 * The links the hosted UI shows a client's users on sign-up, by document name: the link for
 * `cognito:<language>` when given and set, else `cognito:default`, else none. Empty when the
 * client has no terms.
 */
export async function termsLinksForClient(
  store: Store,
  clientId: string,
  language?: string,
): Promise<{ 'terms-of-use'?: string; 'privacy-policy'?: string }> {
  const out: Record<string, string> = {};
  for (const t of await store.terms.ofClient(clientId)) {
    const url = (language && t.links[`cognito:${language}`]) || t.links['cognito:default'];
    if (url) out[t.termsName] = url;
  }
  return out;
}
