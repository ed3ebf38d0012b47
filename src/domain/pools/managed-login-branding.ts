import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type {
  AssetType,
  CreateManagedLoginBrandingRequest,
  ManagedLoginBrandingType,
  UpdateManagedLoginBrandingRequest,
} from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { ManagedLoginBranding } from '../../store/repos/managed-login-brandings.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import { getPoolClient } from './app-clients.ts';
import { getPool } from './user-pools.ts';
import { blobBytes } from './ui-customization.ts';

// guessed: Cognito's texts for these were not found.
const exists = (clientId: string) => new CognitoError('ManagedLoginBrandingExistsException', `A managed login branding style already exists for app client ${clientId}.`);
// guessed
const notFound = (id: string) => resourceNotFound(`Managed login branding ${id} does not exist.`);

/**
 * The style Cognito applies where a branding leaves an option out, in the Settings shape of the
 * branding editor (categories, componentClasses, components; colours as RRGGBBAA hex). Answered
 * merged under the caller's settings when ReturnMergedResources is true. Tobira's own defaults
 * in Cognito's structure: the service's full document was not found.
 */
const DEFAULT_SETTINGS = {
  categories: {
    global: { colorSchemeMode: 'LIGHT', pageHeader: { enabled: false }, pageFooter: { enabled: false }, spacingDensity: 'REGULAR' },
    form: {
      displayGraphics: true,
      instructions: { enabled: false },
      languageSelector: { enabled: false },
      location: { horizontal: 'CENTER', vertical: 'CENTER' },
      sessionTimerDisplay: 'NONE',
    },
    auth: { federation: { interfaceStyle: 'BUTTON_LIST', order: [] } },
  },
  componentClasses: {
    buttons: { borderRadius: 8.0 },
    input: { borderRadius: 8.0, lightMode: { defaults: { backgroundColor: 'ffffffff', borderColor: '7d8998ff' } }, darkMode: { defaults: { backgroundColor: '0f1b2aff', borderColor: '5f6b7aff' } } },
    link: { lightMode: { defaults: { textColor: '0972d3ff' } }, darkMode: { defaults: { textColor: '539fe5ff' } } },
  },
  components: {
    form: { borderRadius: 8.0, lightMode: { backgroundColor: 'ffffffff', borderColor: 'c6c6cdff' }, darkMode: { backgroundColor: '0f1b2aff', borderColor: '424650ff' } },
    pageBackground: { image: { enabled: true }, lightMode: { color: 'ffffffff' }, darkMode: { color: '0f1b2aff' } },
    primaryButton: {
      lightMode: { defaults: { backgroundColor: '0972d3ff', textColor: 'ffffffff' }, hover: { backgroundColor: '033160ff', textColor: 'ffffffff' } },
      darkMode: { defaults: { backgroundColor: '539fe5ff', textColor: '000716ff' }, hover: { backgroundColor: '89bdeeff', textColor: '000716ff' } },
    },
    pageText: { lightMode: { bodyColor: '414d5cff', headingColor: '000716ff' }, darkMode: { bodyColor: 'b6bec9ff', headingColor: 'd1d5dbff' } },
  },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` on top of `base`: objects merged key by key, anything else taken from `over`. */
function merged(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merged(base[k], v);
  return out;
}

/** Assets: one per category and colour mode, each with its bytes or a ResourceId. */
function checkAssets(assets: AssetType[]): AssetType[] {
  const seen = new Set<string>();
  return assets.map((a) => {
    const key = `${a.Category}/${a.ColorMode}`;
    // guessed
    if (seen.has(key)) throw invalidParameter(`Duplicate asset for category ${a.Category} and color mode ${a.ColorMode}.`);
    seen.add(key);
    // guessed
    if (a.Bytes === undefined && a.ResourceId === undefined) throw invalidParameter(`Asset ${a.Category} needs Bytes or a ResourceId.`);
    if (a.Bytes !== undefined) blobBytes(a.Bytes, 'Bytes');
    return {
      Category: a.Category,
      ColorMode: a.ColorMode,
      Extension: a.Extension,
      ...(a.Bytes !== undefined ? { Bytes: a.Bytes } : {}),
      ...(a.ResourceId !== undefined ? { ResourceId: a.ResourceId } : {}),
    };
  });
}

/** The model documents that UseCognitoProvidedValues true goes with neither Settings nor Assets. */
function checkExclusive(useCognito: boolean | undefined, input: { Settings?: unknown; Assets?: unknown }): void {
  if (useCognito && (input.Settings !== undefined || input.Assets !== undefined)) {
    // guessed
    throw invalidParameter('Settings and Assets must be omitted when UseCognitoProvidedValues is true.');
  }
}

export function describeBranding(b: ManagedLoginBranding, returnMerged = false): ManagedLoginBrandingType {
  return {
    ManagedLoginBrandingId: b.brandingId,
    UserPoolId: b.poolId,
    UseCognitoProvidedValues: b.useCognitoProvidedValues,
    Settings: (returnMerged ? merged(DEFAULT_SETTINGS, b.settings) : b.settings) as ManagedLoginBrandingType['Settings'],
    Assets: b.assets,
    CreationDate: b.createdAt / 1000,
    LastModifiedDate: b.updatedAt / 1000,
  };
}

export async function createBranding(app: App, input: CreateManagedLoginBrandingRequest): Promise<ManagedLoginBranding> {
  checkExclusive(input.UseCognitoProvidedValues, input);
  const now = app.clock.now();
  const b: ManagedLoginBranding = {
    poolId: input.UserPoolId,
    brandingId: uuid(app.random),
    clientId: input.ClientId,
    useCognitoProvidedValues: input.UseCognitoProvidedValues ?? false,
    settings: (input.Settings as Record<string, unknown> | undefined) ?? {},
    assets: checkAssets(input.Assets ?? []),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await app.store.tx(async (s) => {
      await getPoolClient(s, input.UserPoolId, input.ClientId);
      if (await s.managedLoginBrandings.ofClient(input.ClientId)) throw exists(input.ClientId);
      await s.managedLoginBrandings.insert(b);
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw exists(input.ClientId);
    throw err;
  }
  return b;
}

export async function getBranding(store: Store, poolId: string, brandingId: string): Promise<ManagedLoginBranding> {
  await getPool(store, poolId);
  const b = await store.managedLoginBrandings.get(poolId, brandingId);
  if (!b) throw notFound(brandingId);
  return b;
}

export async function getBrandingOfClient(store: Store, poolId: string, clientId: string): Promise<ManagedLoginBranding> {
  await getPoolClient(store, poolId, clientId);
  const b = await store.managedLoginBrandings.ofClient(clientId);
  // guessed
  if (!b) throw resourceNotFound(`App client ${clientId} has no managed login branding style.`);
  return b;
}

/**
 * UseCognitoProvidedValues true returns the style to Cognito's defaults (no settings, no
 * assets); otherwise Settings and Assets, when given, replace what was stored.
 */
export async function updateBranding(app: App, input: UpdateManagedLoginBrandingRequest): Promise<ManagedLoginBranding> {
  // guessed: both members are optional in the model, yet the style cannot be found without them.
  if (!input.UserPoolId) throw invalidParameter('UserPoolId is required.');
  if (!input.ManagedLoginBrandingId) throw invalidParameter('ManagedLoginBrandingId is required.');
  checkExclusive(input.UseCognitoProvidedValues, input);
  const assets = input.Assets === undefined ? undefined : checkAssets(input.Assets);
  return app.store.tx(async (s) => {
    const b = await getBranding(s, input.UserPoolId!, input.ManagedLoginBrandingId!);
    if (input.UseCognitoProvidedValues) {
      b.useCognitoProvidedValues = true;
      b.settings = {};
      b.assets = [];
    } else {
      if (input.Settings !== undefined) b.settings = input.Settings as Record<string, unknown>;
      if (assets !== undefined) b.assets = assets;
      if (input.UseCognitoProvidedValues === false || input.Settings !== undefined || assets !== undefined) b.useCognitoProvidedValues = false;
    }
    b.updatedAt = app.clock.now();
    await s.managedLoginBrandings.update(b);
    return b;
  });
}

export async function deleteBranding(app: App, poolId: string, brandingId: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getBranding(s, poolId, brandingId);
    await s.managedLoginBrandings.delete(poolId, brandingId);
  });
}

const MEDIA_TYPES: Record<string, string> = { ICO: 'image/x-icon', JPEG: 'image/jpeg', PNG: 'image/png', SVG: 'image/svg+xml', WEBP: 'image/webp' };

/** A colour of the branding (RRGGBBAA hex) as CSS (#RRGGBBAA), or null when it is not one. */
function cssColour(v: unknown): string | null {
  return typeof v === 'string' && /^[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(v) ? `#${v}` : null;
}

function at(doc: unknown, ...path: string[]): unknown {
  let v = doc;
  for (const k of path) v = isPlainObject(v) ? v[k] : undefined;
  return v;
}

/**
 * What the hosted UI renders for a client's managed-login branding: the merged settings, the
 * light-mode colours of its main components and its logo (FORM_LOGO, else PAGE_HEADER_LOGO),
 * or null when the client has no branding style.
 */
export async function managedLoginBrandingForClient(
  store: Store,
  clientId: string,
): Promise<{
  settings: Record<string, unknown>;
  assets: AssetType[];
  colours: { primaryButton: string | null; primaryButtonText: string | null; pageBackground: string | null; formBackground: string | null; link: string | null };
  logo: { bytes: Buffer; contentType: string } | null;
} | null> {
  const b = await store.managedLoginBrandings.ofClient(clientId);
  if (!b) return null;
  const settings = merged(DEFAULT_SETTINGS, b.settings) as Record<string, unknown>;
  const logoAsset = ['FORM_LOGO', 'PAGE_HEADER_LOGO']
    .map((cat) => b.assets.find((a) => a.Category === cat && a.Bytes !== undefined && (a.ColorMode === 'LIGHT' || a.ColorMode === 'DYNAMIC')))
    .find((a) => a !== undefined);
  return {
    settings,
    assets: b.assets,
    colours: {
      primaryButton: cssColour(at(settings, 'components', 'primaryButton', 'lightMode', 'defaults', 'backgroundColor')),
      primaryButtonText: cssColour(at(settings, 'components', 'primaryButton', 'lightMode', 'defaults', 'textColor')),
      pageBackground: cssColour(at(settings, 'components', 'pageBackground', 'lightMode', 'color')),
      formBackground: cssColour(at(settings, 'components', 'form', 'lightMode', 'backgroundColor')),
      link: cssColour(at(settings, 'componentClasses', 'link', 'lightMode', 'defaults', 'textColor')),
    },
    logo: logoAsset ? { bytes: Buffer.from(logoAsset.Bytes!, 'base64'), contentType: MEDIA_TYPES[logoAsset.Extension] ?? 'application/octet-stream' } : null,
  };
}
