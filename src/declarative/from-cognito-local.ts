import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DeclaredClient, DeclaredConfig, DeclaredGroup, DeclaredUser, DeclaredUserPool } from './schema.ts';
import { ConfigError, readDocument } from './schema.ts';

/**
 * cognito-local (jagregory/cognito-local) keeps `.cognito/config.json` (TriggerFunctions,
 * UserPoolDefaults, LambdaClient, KMSConfig ...) and its data beside it: one
 * `db/<poolId>.json` per pool ({Options, Users, Groups}) and `db/clients.json` ({Clients}).
 * Pointing `--config` at that config.json (or at one pool file) declares the same pools,
 * clients, groups and users here, with the same ids, so applications need no change.
 * Users keep their passwords: cognito-local stores them in clear.
 */
const CONFIG_KEYS = ['TriggerFunctions', 'UserPoolDefaults', 'LambdaClient', 'KMSConfig', 'TokenConfig', 'ServerConfig'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A cognito-local config.json, or one of its pool files. */
export function isCognitoLocal(doc: unknown): boolean {
  if (!isObj(doc)) return false;
  if (CONFIG_KEYS.some((k) => k in doc) && !('userPools' in doc)) return true;
  return isObj(doc.Options) && typeof doc.Options.Id === 'string';
}

/** The CreateUserPool settings a pool file's Options may carry (the rest is derived state). */
const POOL_SETTINGS = [
  'Policies', 'LambdaConfig', 'AutoVerifiedAttributes', 'AliasAttributes', 'UsernameAttributes', 'SmsVerificationMessage',
  'EmailVerificationMessage', 'EmailVerificationSubject', 'VerificationMessageTemplate', 'SmsAuthenticationMessage',
  'MfaConfiguration', 'UserAttributeUpdateSettings', 'DeviceConfiguration', 'EmailConfiguration', 'SmsConfiguration',
  'UserPoolTags', 'AdminCreateUserConfig', 'UserPoolAddOns', 'UsernameConfiguration', 'AccountRecoverySetting', 'DeletionProtection',
];

const CLIENT_DERIVED = new Set(['UserPoolId', 'CreationDate', 'LastModifiedDate', 'ClientId', 'ClientSecret']);

export function fromCognitoLocal(file: string, doc: Obj, ctx: { accountId: string }): DeclaredConfig {
  const isConfig = !(isObj(doc.Options) && typeof doc.Options.Id === 'string');
  const settings = isConfig ? doc : {};
  const dbDir = isConfig ? join(dirname(file), 'db') : dirname(file);
  const poolFiles = isConfig
    ? existsSync(dbDir)
      ? readdirSync(dbDir).filter((f) => f.endsWith('.json') && f !== 'clients.json').sort().map((f) => join(dbDir, f))
      : []
    : [file];
  const clientsFile = join(dbDir, 'clients.json');
  const clientDoc = existsSync(clientsFile) ? readDocument(clientsFile) : {};
  const clients = isObj(clientDoc) && isObj(clientDoc.Clients) ? Object.values(clientDoc.Clients).filter(isObj) : [];
  const pools = poolFiles.map((f) => pool(f, f === file ? doc : readDocument(f), settings, clients, ctx));
  return { userPools: pools, source: 'cognito-local' };
}

function pool(file: string, doc: unknown, settings: Obj, clients: Obj[], ctx: { accountId: string }): DeclaredUserPool {
  if (!isObj(doc) || !isObj(doc.Options) || typeof doc.Options.Id !== 'string') throw new ConfigError(`${file}: not a cognito-local user pool file (no Options.Id)`);
  const o = doc.Options;
  const id = o.Id as string;
  const region = id.slice(0, Math.max(0, id.indexOf('_')));
  const defaults = isObj(settings.UserPoolDefaults) ? settings.UserPoolDefaults : {};
  const out: DeclaredUserPool = { Id: id, PoolName: typeof o.Name === 'string' ? o.Name : basename(file, '.json') };
  for (const k of POOL_SETTINGS) {
    const v = o[k] ?? defaults[k];
    if (v !== undefined) (out as Obj)[k] = v;
  }
  // The schema: custom attributes, and standard ones made required (the rest is Cognito's default).
  const schema = Array.isArray(o.SchemaAttributes) ? o.SchemaAttributes.filter(isObj) : [];
  const declared = schema
    .filter((a) => typeof a.Name === 'string' && a.Name !== 'sub' && (a.Name.startsWith('custom:') || a.Required === true))
    .map((a) => ({ ...a, Name: (a.Name as string).replace(/^custom:/, '') }));
  if (declared.length) out.Schema = declared as DeclaredUserPool['Schema'];
  // TriggerFunctions name functions for every pool; Tobira keeps them per pool in LambdaConfig.
  const triggers = isObj(settings.TriggerFunctions) ? settings.TriggerFunctions : {};
  if (Object.keys(triggers).length) {
    const lambda: Obj = { ...(isObj(out.LambdaConfig) ? out.LambdaConfig : {}) };
    const kms = isObj(settings.KMSConfig) ? settings.KMSConfig : {};
    for (const [trigger, name] of Object.entries(triggers)) {
      if (typeof name !== 'string') continue;
      const arn = name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:${ctx.accountId}:function:${name}`;
      if (trigger === 'CustomEmailSender' || trigger === 'CustomSMSSender') {
        lambda[trigger] = { LambdaVersion: 'V1_0', LambdaArn: arn };
        if (typeof kms.KMSKeyId === 'string') lambda.KMSKeyID = kms.KMSKeyId;
      } else {
        lambda[trigger] = arn;
      }
    }
    out.LambdaConfig = lambda as DeclaredUserPool['LambdaConfig'];
  }
  const members = new Map<string, string[]>();
  const groups: DeclaredGroup[] = [];
  for (const [name, g] of Object.entries(isObj(doc.Groups) ? doc.Groups : {})) {
    if (!isObj(g)) continue;
    const group: DeclaredGroup = { GroupName: typeof g.GroupName === 'string' ? g.GroupName : name };
    if (typeof g.Description === 'string') group.Description = g.Description;
    if (typeof g.Precedence === 'number') group.Precedence = g.Precedence;
    if (typeof g.RoleArn === 'string') group.RoleArn = g.RoleArn;
    groups.push(group);
    for (const m of Array.isArray(g.members) ? g.members : []) {
      if (typeof m === 'string') members.set(m, [...(members.get(m) ?? []), group.GroupName]);
    }
  }
  const users: DeclaredUser[] = [];
  for (const [name, u] of Object.entries(isObj(doc.Users) ? doc.Users : {})) {
    if (!isObj(u)) continue;
    const username = typeof u.Username === 'string' ? u.Username : name;
    const attrs: Record<string, string> = {};
    for (const a of Array.isArray(u.Attributes) ? u.Attributes.filter(isObj) : []) {
      if (typeof a.Name === 'string' && a.Name !== 'sub') attrs[a.Name] = String(a.Value);
    }
    const user: DeclaredUser = { Username: username, Attributes: attrs };
    const status = typeof u.UserStatus === 'string' ? u.UserStatus : undefined;
    if (typeof u.Password === 'string') {
      if (status === 'FORCE_CHANGE_PASSWORD') user.TemporaryPassword = u.Password;
      else user.Password = u.Password;
    }
    if (status) user.Status = status as DeclaredUser['Status'];
    if (typeof u.Enabled === 'boolean') user.Enabled = u.Enabled;
    const groupsOf = members.get(username);
    if (groupsOf) user.Groups = groupsOf;
    users.push(user);
  }
  const poolClients: DeclaredClient[] = clients
    .filter((c) => c.UserPoolId === id && typeof c.ClientId === 'string')
    .map((c) => {
      const client: Obj = { ClientId: c.ClientId, ClientName: typeof c.ClientName === 'string' ? c.ClientName : c.ClientId };
      if (typeof c.ClientSecret === 'string') client.ClientSecret = c.ClientSecret;
      for (const [k, v] of Object.entries(c)) if (!CLIENT_DERIVED.has(k) && !(k in client)) client[k] = v;
      return client as DeclaredClient;
    });
  return { ...out, clients: poolClients, groups, users };
}
