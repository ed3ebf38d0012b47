import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { SetUICustomizationRequest, UICustomizationType } from '../../generated/cognito-idp.ts';
import type { UICustomization } from '../../store/repos/ui-customizations.ts';
import type { Store } from '../../store/store.ts';
import { getPoolClient } from './app-clients.ts';
import { getPool } from './user-pools.ts';

/** The pool-wide target: Cognito's ClientId `ALL`, used by every client without its own. */
export const ALL_CLIENTS = 'ALL';

/**
 * The classes the classic hosted UI lets CSS style (Cognito developer guide, "Customizing
 * hosted UI (classic) branding"), each with the pseudo-classes it lists for them.
 */
const ALLOWED_SELECTORS = new Set([
  'background-customizable',
  'banner-customizable',
  'errorMessage-customizable',
  'idpButton-customizable',
  'idpButton-customizable:hover',
  'idpDescription-customizable',
  'inputField-customizable',
  'inputField-customizable:focus',
  'label-customizable',
  'legalText-customizable',
  'logo-customizable',
  'passwordCheck-valid-customizable',
  'passwordCheck-notValid-customizable',
  'redirect-customizable',
  'socialButton-customizable',
  'submitButton-customizable',
  'submitButton-customizable:hover',
  'textDescription-customizable',
]);

// guessed: Cognito's texts for refused CSS were not found.
const badCss = (why: string) => invalidParameter(`CSS is not valid: ${why}`);

/** The CSS with each comment replaced by a space (one indexOf pass). */
function withoutComments(css: string): string {
  let out = '';
  let at = 0;
  for (let open = css.indexOf('/*'); open >= 0; open = css.indexOf('/*', at)) {
    const close = css.indexOf('*/', open + 2);
    if (close < 0) throw badCss('unterminated comment.');
    out += `${css.slice(at, open)} `;
    at = close + 2;
  }
  return out + css.slice(at);
}

/**
 * Checks CSS as Cognito's classic hosted UI takes it: rules whose selectors are allowed
 * classes only, no at-rules (@import, @media, @supports, @page are named by the guide) and no
 * script. Nothing that could end the page's <style> element (`<`) is let through.
 */
export function checkCss(css: string): void {
  const text = withoutComments(css);
  if (text.includes('<')) throw badCss('the character < is not allowed.');
  if (text.includes('@')) throw badCss('at-rules such as @import and @media are not allowed.');
  if (/javascript:|expression\s*\(|behavior\s*:|-moz-binding|url\s*\(/i.test(text)) throw badCss('scripts and external resources are not allowed.');
  // One pass over `selectors { declarations }` pairs (indexOf, no backtracking pattern: CSS is
  // up to 131072 characters).
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{', at);
    if (open < 0) {
      if (text.slice(at).trim()) throw badCss('unexpected text after the last rule.');
      break;
    }
    const close = text.indexOf('}', open + 1);
    if (close < 0) throw badCss('a rule is not closed.');
    const selectors = text.slice(at, open);
    const body = text.slice(open + 1, close);
    if (selectors.includes('}') || body.includes('{')) throw badCss('rules cannot be nested.');
    for (const raw of selectors.split(',')) {
      const sel = raw.trim();
      if (!sel.startsWith('.') || !ALLOWED_SELECTORS.has(sel.slice(1))) throw badCss(`${sel.slice(0, 100) || 'an empty selector'} is not an allowed class.`);
    }
    for (const decl of body.split(';')) {
      if (!decl.trim()) continue;
      if (!/^\s*-?[a-zA-Z][a-zA-Z-]{0,99}\s*:[^:]/.test(decl)) throw badCss(`${decl.trim().slice(0, 100)} is not a declaration.`);
    }
    at = close + 1;
  }
}

/** The logo's media type from its first bytes: the guide takes PNG and JPEG logos. */
function imageType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  // Cognito's text begins "The uploaded image must" (boto3#2314, cut off there); the rest is guessed.
  throw invalidParameter('The uploaded image must be a PNG or JPEG file.');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a base64 blob member; not base64 is refused, as a blob the service cannot read. */
export function blobBytes(value: string, member: string): Buffer {
  const v = value.replace(/\s+/g, '');
  // guessed
  if (v.length % 4 !== 0 || !BASE64.test(v)) throw invalidParameter(`${member} is not valid base64.`);
  return Buffer.from(v, 'base64');
}

/** Cognito's versions are the last change as yyyyMMddHHmmss (e.g. "20190128175402"). */
const version = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** Where the logo is served (http/ui-assets.ts); the version in the path changes with each Set. */
export const logoPath = (c: UICustomization) => `/_tobira/ui-assets/${encodeURIComponent(c.poolId)}/${encodeURIComponent(c.target)}/${version(c.updatedAt)}/logo`;

export function describeUICustomization(app: App, c: UICustomization): UICustomizationType {
  return {
    UserPoolId: c.poolId,
    ClientId: c.target,
    ...(c.image !== null ? { ImageUrl: `${app.publicUrl().replace(/\/+$/, '')}${logoPath(c)}` } : {}),
    ...(c.css !== null ? { CSS: c.css } : {}),
    CSSVersion: version(c.updatedAt),
    LastModifiedDate: c.updatedAt / 1000,
    CreationDate: c.createdAt / 1000,
  };
}

async function checkTarget(store: Store, poolId: string, clientId: string | undefined): Promise<string> {
  await getPool(store, poolId);
  if (clientId === undefined || clientId === ALL_CLIENTS) return ALL_CLIENTS;
  await getPoolClient(store, poolId, clientId);
  return clientId;
}

/**
 * Sets the CSS and logo of one client or of the pool (ClientId ALL or none). Each call replaces
 * both: the guide says CSS and logo cannot be set separately. The pool needs a domain.
 */
export async function setUICustomization(app: App, input: SetUICustomizationRequest): Promise<UICustomization> {
  if (input.CSS) checkCss(input.CSS);
  const image = input.ImageFile ? blobBytes(input.ImageFile, 'ImageFile') : null;
  const type = image && image.length > 0 ? imageType(image) : null;
  return app.store.tx(async (s) => {
    const target = await checkTarget(s, input.UserPoolId, input.ClientId);
    // Cognito's words (amazon-connect/voicemail-for-amazon-connect#5, from SetUICustomization
    // in a stack whose domain was not created).
    if ((await s.domains.ofPool(input.UserPoolId)).length === 0) throw invalidParameter('A domain must be associated with this user pool.');
    const now = app.clock.now();
    const old = await s.uiCustomizations.get(input.UserPoolId, target);
    const c: UICustomization = {
      poolId: input.UserPoolId,
      target,
      clientId: target === ALL_CLIENTS ? null : target,
      css: input.CSS ? input.CSS : null,
      image: type ? image!.toString('base64') : null,
      imageType: type,
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
    };
    await s.uiCustomizations.put(c);
    return c;
  });
}

/**
 * The customization a client uses: its own, else the pool's (ALL), as the guide describes the
 * fallback. Undefined when neither is set.
 */
async function effective(store: Store, poolId: string, target: string): Promise<UICustomization | undefined> {
  return (await store.uiCustomizations.get(poolId, target)) ?? (target !== ALL_CLIENTS ? await store.uiCustomizations.get(poolId, ALL_CLIENTS) : undefined);
}

export async function getUICustomization(app: App, poolId: string, clientId: string | undefined): Promise<UICustomizationType> {
  const target = await checkTarget(app.store, poolId, clientId);
  const c = await effective(app.store, poolId, target);
  // guessed: with nothing set, only the pool and client are answered.
  return c ? describeUICustomization(app, c) : { UserPoolId: poolId, ClientId: target };
}

/** What the hosted UI renders for a client: CSS and logo (with its media type), or null when none is set. */
export async function effectiveUICustomization(
  store: Store,
  poolId: string,
  clientId: string,
): Promise<{ css: string | null; logo: { bytes: Buffer; contentType: string } | null; logoPath: string | null } | null> {
  const c = await effective(store, poolId, clientId);
  if (!c) return null;
  return {
    css: c.css,
    logo: c.image !== null ? { bytes: Buffer.from(c.image, 'base64'), contentType: c.imageType ?? 'application/octet-stream' } : null,
    logoPath: c.image !== null ? logoPath(c) : null,
  };
}

/** The logo stored for a pool's target (ALL or a client id), for the asset route. */
export async function storedLogo(store: Store, poolId: string, target: string): Promise<{ bytes: Buffer; contentType: string } | null> {
  const c = await store.uiCustomizations.get(poolId, target);
  if (!c || c.image === null) return null;
  return { bytes: Buffer.from(c.image, 'base64'), contentType: c.imageType ?? 'application/octet-stream' };
}
