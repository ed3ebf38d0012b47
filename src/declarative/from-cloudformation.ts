import { createHash } from 'node:crypto';
import type { DeclaredClient, DeclaredConfig, DeclaredIdentityPool, DeclaredUser, DeclaredUserPool } from './schema.ts';
import { ConfigError } from './schema.ts';

/**
 * A CloudFormation template's AWS::Cognito::* resources as a declared config. Ids are derived
 * from the logical ids (a hash, so the same template gives the same ids on every start and on
 * every machine); Ref and Fn::GetAtt between the resources resolve to those ids, and Fn::Sub,
 * Fn::Join, Fn::Select, parameters' defaults and the AWS:: pseudo parameters are evaluated.
 * Other resources are skipped, except that a Ref or GetAtt Arn of a Lambda function or an IAM role
 * becomes the ARN it would have in this account (named by FunctionName / RoleName or its logical id).
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isCloudFormation(doc: unknown): boolean {
  return isObj(doc) && isObj(doc.Resources) && ('AWSTemplateFormatVersion' in doc || Object.values(doc.Resources).some((r) => isObj(r) && typeof r.Type === 'string' && r.Type.startsWith('AWS::')));
}

const hash = (text: string) => createHash('sha256').update(text).digest();
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const pick = (bytes: Buffer, n: number, alphabet: string) => [...bytes.subarray(0, n)].map((b) => alphabet[b % alphabet.length]).join('');

/** `<region>_<9 letters and digits>` from the logical id. */
export const derivedPoolId = (region: string, logicalId: string) => `${region}_${pick(hash(`userpool:${logicalId}`), 9, ALNUM)}`;
/** 26 lower-case letters and digits, as Cognito's client ids. */
export const derivedClientId = (logicalId: string) => pick(hash(`client:${logicalId}`), 26, LOWER);
export function derivedIdentityPoolId(region: string, logicalId: string): string {
  const h = hash(`identitypool:${logicalId}`).subarray(0, 16).toString('hex');
  return `${region}:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function fromCloudFormation(doc: Obj, ctx: { region: string; accountId: string }): DeclaredConfig {
  const resources = doc.Resources as Record<string, Obj>;
  const params = isObj(doc.Parameters) ? doc.Parameters : {};
  const typeOf = (id: string) => (isObj(resources[id]) ? String(resources[id].Type) : undefined);
  const props = (id: string): Obj => (isObj(resources[id]?.Properties) ? (resources[id].Properties as Obj) : {});
  const { region, accountId } = ctx;

  const ref = (id: string, at: string): unknown => {
    if (id === 'AWS::Region') return region;
    if (id === 'AWS::AccountId') return accountId;
    if (id === 'AWS::StackName') return 'tobira';
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    if (id === 'AWS::NoValue') return undefined;
    if (id in params) {
      const p = params[id];
      if (isObj(p) && p.Default !== undefined) return p.Default;
      throw new ConfigError(`${at}: parameter ${id} has no Default; give it one for Tobira`);
    }
    const p = props(id);
    switch (typeOf(id)) {
      case 'AWS::Cognito::UserPool':
        return derivedPoolId(region, id);
      case 'AWS::Cognito::UserPoolClient':
        return derivedClientId(id);
      case 'AWS::Cognito::IdentityPool':
        return derivedIdentityPoolId(region, id);
      case 'AWS::Cognito::UserPoolGroup':
        return resolve(p.GroupName, at) ?? id;
      case 'AWS::Cognito::UserPoolDomain':
        return resolve(p.Domain, at);
      case 'AWS::Cognito::UserPoolIdentityProvider':
        return resolve(p.ProviderName, at);
      case 'AWS::Cognito::UserPoolUser':
        return resolve(p.Username, at) ?? id;
      case 'AWS::Lambda::Function':
        return resolve(p.FunctionName, at) ?? id;
      case 'AWS::IAM::Role':
        return resolve(p.RoleName, at) ?? id;
    }
    throw new ConfigError(`${at}: Ref ${id} names nothing Tobira can resolve`);
  };

  const getAtt = (id: string, attr: string, at: string): unknown => {
    const type = typeOf(id);
    if (type === 'AWS::Cognito::UserPool') {
      const poolId = derivedPoolId(region, id);
      if (attr === 'Arn') return `arn:aws:cognito-idp:${region}:${accountId}:userpool/${poolId}`;
      if (attr === 'ProviderName') return `cognito-idp.${region}.amazonaws.com/${poolId}`;
      if (attr === 'ProviderURL') return `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
      if (attr === 'UserPoolId') return poolId;
    }
    if (type === 'AWS::Cognito::UserPoolClient' && attr === 'ClientId') return derivedClientId(id);
    if (type === 'AWS::Cognito::IdentityPool' && (attr === 'Id' || attr === 'IdentityPoolId')) return derivedIdentityPoolId(region, id);
    if (type === 'AWS::Cognito::IdentityPool' && attr === 'Name') return resolve(props(id).IdentityPoolName, at) ?? id;
    if (type === 'AWS::Lambda::Function' && attr === 'Arn') return `arn:aws:lambda:${region}:${accountId}:function:${ref(id, at)}`;
    if (type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${accountId}:role/${ref(id, at)}`;
    throw new ConfigError(`${at}: Fn::GetAtt ${id}.${attr} is not something Tobira can resolve`);
  };

  const resolve = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => resolve(x, at)).filter((x) => x !== undefined);
    if (!isObj(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = v[k];
      if (k === 'Ref') return ref(String(arg), at);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return getAtt(id, attr, at);
      }
      if (k === 'Fn::Sub') {
        const [template, vars] = Array.isArray(arg) ? [String(arg[0]), (arg[1] ?? {}) as Obj] : [String(arg), {}];
        return template.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
          if (name in vars) return String(resolve(vars[name], at));
          const dot = name.indexOf('.');
          return String(dot > 0 ? getAtt(name.slice(0, dot), name.slice(dot + 1), at) : ref(name, at));
        });
      }
      if (k === 'Fn::Join' && Array.isArray(arg)) return (resolve(arg[1], at) as unknown[]).join(String(arg[0]));
      if (k === 'Fn::Select' && Array.isArray(arg)) return (resolve(arg[1], at) as unknown[])[Number(resolve(arg[0], at))];
      if (k.startsWith('Fn::') || k === 'Condition') throw new ConfigError(`${at}: ${k} is not evaluated by Tobira`);
    }
    return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, resolve(x, at)]).filter(([, x]) => x !== undefined));
  };

  const pools = new Map<string, DeclaredUserPool>();
  const byPoolId = (poolRef: unknown, at: string): DeclaredUserPool => {
    const pool = [...pools.values()].find((p) => p.Id === poolRef);
    if (!pool) throw new ConfigError(`${at}: UserPoolId ${String(poolRef)} is not a user pool of this template`);
    return pool;
  };
  const identityPools = new Map<string, DeclaredIdentityPool>();
  const ids = Object.keys(resources);
  const of = (type: string) => ids.filter((id) => typeOf(id) === type);
  const at = (id: string) => `Resources.${id}`;

  for (const id of of('AWS::Cognito::UserPool')) {
    const { UserPoolName, EnabledMfas, ...rest } = resolve(props(id), at(id)) as Obj;
    const pool = { ...rest, Id: derivedPoolId(region, id), PoolName: (UserPoolName as string | undefined) ?? id } as DeclaredUserPool;
    // EnabledMfas is CloudFormation's view of SetUserPoolMfaConfig.
    const mfas = Array.isArray(EnabledMfas) ? (EnabledMfas as string[]) : [];
    if (mfas.includes('SOFTWARE_TOKEN_MFA') || mfas.includes('EMAIL_OTP')) {
      pool.MfaConfig = {
        MfaConfiguration: pool.MfaConfiguration ?? 'OFF',
        ...(mfas.includes('SOFTWARE_TOKEN_MFA') ? { SoftwareTokenMfaConfiguration: { Enabled: true } } : {}),
        ...(mfas.includes('EMAIL_OTP') ? { EmailMfaConfiguration: {} } : {}),
        ...(mfas.includes('SMS_MFA') && pool.SmsConfiguration ? { SmsMfaConfiguration: { SmsConfiguration: pool.SmsConfiguration } } : {}),
      };
      // CreateUserPool alone cannot turn MFA on without SMS; SetUserPoolMfaConfig does it next.
      if (!pool.SmsConfiguration) delete pool.MfaConfiguration;
    }
    pools.set(id, pool);
  }
  for (const id of of('AWS::Cognito::UserPoolResourceServer')) {
    const { UserPoolId, ...rest } = resolve(props(id), at(id)) as Obj;
    const pool = byPoolId(UserPoolId, at(id));
    (pool.resourceServers ??= []).push(rest as NonNullable<DeclaredUserPool['resourceServers']>[number]);
  }
  for (const id of of('AWS::Cognito::UserPoolIdentityProvider')) {
    const { UserPoolId, ...rest } = resolve(props(id), at(id)) as Obj;
    (byPoolId(UserPoolId, at(id)).identityProviders ??= []).push(rest as NonNullable<DeclaredUserPool['identityProviders']>[number]);
  }
  for (const id of of('AWS::Cognito::UserPoolClient')) {
    const { UserPoolId, ...rest } = resolve(props(id), at(id)) as Obj;
    const client = { ClientName: id, ...rest, ClientId: derivedClientId(id) } as DeclaredClient;
    (byPoolId(UserPoolId, at(id)).clients ??= []).push(client);
  }
  for (const id of of('AWS::Cognito::UserPoolDomain')) {
    const { UserPoolId, ...rest } = resolve(props(id), at(id)) as Obj;
    (byPoolId(UserPoolId, at(id)).domains ??= []).push(rest as NonNullable<DeclaredUserPool['domains']>[number]);
  }
  for (const id of of('AWS::Cognito::UserPoolGroup')) {
    const { UserPoolId, GroupName, ...rest } = resolve(props(id), at(id)) as Obj;
    (byPoolId(UserPoolId, at(id)).groups ??= []).push({ ...rest, GroupName: (GroupName as string | undefined) ?? id });
  }
  for (const id of of('AWS::Cognito::UserPoolUser')) {
    const p = resolve(props(id), at(id)) as Obj;
    const user: DeclaredUser = { Username: (p.Username as string | undefined) ?? id };
    if (Array.isArray(p.UserAttributes)) user.Attributes = p.UserAttributes as DeclaredUser['Attributes'];
    (byPoolId(p.UserPoolId, at(id)).users ??= []).push(user);
  }
  for (const id of of('AWS::Cognito::UserPoolUserToGroupAttachment')) {
    const p = resolve(props(id), at(id)) as Obj;
    const user = byPoolId(p.UserPoolId, at(id)).users?.find((u) => u.Username === p.Username);
    if (!user) throw new ConfigError(`${at(id)}: user ${String(p.Username)} is not an AWS::Cognito::UserPoolUser of this template`);
    (user.Groups ??= []).push(String(p.GroupName));
  }
  for (const id of of('AWS::Cognito::IdentityPool')) {
    const { IdentityPoolName, IdentityPoolTags, ...rest } = resolve(props(id), at(id)) as Obj;
    const pool = { ...rest, IdentityPoolId: derivedIdentityPoolId(region, id), IdentityPoolName: (IdentityPoolName as string | undefined) ?? id } as DeclaredIdentityPool;
    // CloudFormation's tags are a list of {Key, Value}; the API's a map.
    if (Array.isArray(IdentityPoolTags)) pool.IdentityPoolTags = Object.fromEntries((IdentityPoolTags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
    identityPools.set(id, pool);
  }
  for (const id of of('AWS::Cognito::IdentityPoolRoleAttachment')) {
    const p = resolve(props(id), at(id)) as Obj;
    const pool = [...identityPools.values()].find((x) => x.IdentityPoolId === p.IdentityPoolId);
    if (!pool) throw new ConfigError(`${at(id)}: IdentityPoolId ${String(p.IdentityPoolId)} is not an identity pool of this template`);
    pool.Roles = (p.Roles ?? {}) as Record<string, string>;
    if (isObj(p.RoleMappings)) {
      // CloudFormation keys a mapping by any name and gives the provider in IdentityProvider; the API keys it by the provider.
      pool.RoleMappings = Object.fromEntries(
        Object.entries(p.RoleMappings).map(([key, m]) => {
          const { IdentityProvider, ...mapping } = m as Obj;
          return [(IdentityProvider as string | undefined) ?? key, mapping];
        }),
      ) as unknown as DeclaredIdentityPool['RoleMappings'];
    }
  }
  return { userPools: [...pools.values()], identityPools: [...identityPools.values()], source: 'cloudformation' };
}
