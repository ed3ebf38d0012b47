import type {
  CustomDomainConfigType,
  EmailMfaConfigType,
  WebAuthnConfigurationType,
  IdentityProviderTypeType,
  UserPoolType,
  UserPoolClientType,
  UserStatusType,
} from '../generated/cognito-idp.ts';
import type { IdentityPool as IdentityPoolType, RoleMapping } from '../generated/cognito-identity.ts';

/** A user pool as stored: Cognito's UserPoolType minus what is derived at read time. */
export interface UserPool {
  id: string;
  region: string;
  name: string;
  /** Every stored setting, in Cognito's own shape (Policies, SchemaAttributes, LambdaConfig ...). */
  config: Omit<UserPoolType, 'Id' | 'Name' | 'Arn' | 'CreationDate' | 'LastModifiedDate' | 'EstimatedNumberOfUsers'> & {
    /** SetUserPoolMfaConfig's factors, which UserPoolType does not show (domain/mfa/pool-config.ts). */
    MfaFactors?: PoolMfaFactors;
  };
  createdAt: number;
  updatedAt: number;
}

/**
 * The MFA factors SetUserPoolMfaConfig enabled. Absent for a pool only CreateUserPool or
 * UpdateUserPool configured, whose MFA is SMS when it has an SMS configuration.
 */
export interface PoolMfaFactors {
  sms?: boolean;
  totp?: boolean;
  /** EmailMfaConfiguration as set (Message, Subject); null or absent when email MFA is off. */
  email?: EmailMfaConfigType | null;
  webAuthn?: WebAuthnConfigurationType;
}

/** An app client as stored; the secret is kept apart from the echoed settings. */
export interface AppClient {
  clientId: string;
  poolId: string;
  config: Omit<UserPoolClientType, 'ClientId' | 'UserPoolId' | 'ClientSecret' | 'CreationDate' | 'LastModifiedDate'>;
  clientSecret: string | null;
  createdAt: number;
  updatedAt: number;
  /**
   * Every current secret, oldest first, the first being `clientSecret` (AddUserPoolClientSecret
   * adds a second for rotation; domain/pools/client-secrets.ts). Loaded by ClientRepo.get; absent
   * elsewhere, which means `clientSecret` alone.
   */
  secrets?: ClientSecret[];
}

/** One secret of an app client, as ListUserPoolClientSecrets names it. */
export interface ClientSecret {
  id: string;
  value: string;
  createdAt: number;
}

export interface User {
  poolId: string;
  /** The key the user is stored under: the username, lower-cased unless the pool is case sensitive. */
  usernameKey: string;
  /** The username as created (for email/phone username pools, the sub). */
  username: string;
  sub: string;
  status: UserStatusType;
  enabled: boolean;
  /** Attribute name to value, `sub` included; values are strings as Cognito keeps them. */
  attributes: Record<string, string>;
  passwordHash: string | null;
  srpSalt: string | null;
  srpVerifier: string | null;
  passwordChangedAt: number | null;
  tempPasswordExpiresAt: number | null;
  failedAttempts: number;
  lastFailedAt: number | null;
  lockedUntil: number | null;
  /** Tokens issued before this time are revoked (GlobalSignOut, AdminUserGlobalSignOut). */
  tokensRevokedBefore: number | null;
  /** Less-queried state that later features add (MFA settings, password history ...). */
  data: UserData;
  createdAt: number;
  updatedAt: number;
}

export interface UserData {
  passwordHistory?: string[];
  mfa?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Group {
  poolId: string;
  groupName: string;
  description: string | null;
  roleArn: string | null;
  precedence: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A user pool's identity provider (federation), as CreateIdentityProvider stored it. */
export interface IdentityProvider {
  poolId: string;
  providerName: string;
  providerType: IdentityProviderTypeType;
  providerDetails: Record<string, string>;
  attributeMapping: Record<string, string>;
  idpIdentifiers: string[];
  createdAt: number;
  updatedAt: number;
}

/** A user pool domain: a prefix domain, or a custom one (with its certificate). */
export interface UserPoolDomain {
  region: string;
  domain: string;
  poolId: string;
  customDomainConfig: CustomDomainConfigType | null;
  managedLoginVersion: number | null;
  createdAt: number;
  updatedAt: number;
}

/** An identity pool (cognito-identity) as stored: its settings in Cognito's shape, roles and tags apart. */
export interface IdentityPool {
  /** `<region>:<uuid>` */
  id: string;
  region: string;
  name: string;
  config: Omit<IdentityPoolType, 'IdentityPoolId' | 'IdentityPoolName' | 'IdentityPoolTags'>;
  /** `authenticated` / `unauthenticated` -> role ARN (SetIdentityPoolRoles). */
  roles: Record<string, string>;
  /** Provider name -> role mapping (SetIdentityPoolRoles). */
  roleMappings: Record<string, RoleMapping>;
  tags: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}
