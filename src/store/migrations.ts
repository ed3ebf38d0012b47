/**
 * Schema migrations, in order. SQL here must run on SQLite and PostgreSQL alike (see db.ts).
 * Append new migrations; never edit one that has shipped.
 *
 * Collation: ListUsers' prefix filters (`^=`) and its pagination scan index ranges in byte
 * order (repos/users.ts: `value >= p AND value < p || U+10FFFF`, and `(value, key) > (?, ?)`
 * cursors). SQLite compares TEXT with BINARY (memcmp of UTF-8) by default, which is that order.
 * PostgreSQL compares with the database's locale collation unless told otherwise, which breaks
 * both the range bound and the page order, and stops a plain B-tree index from serving a prefix
 * range. The PostgreSQL store must therefore create the database with LC_COLLATE 'C' (or
 * declare COLLATE "C" on users.username_key, users.username, users.sub, users.status,
 * user_attribute_index.value and user_aliases.alias_key) before running these migrations.
 */
export interface Migration {
  version: number;
  sql: string;
  /** Run after `sql` on that dialect only: what the two write differently (triggers). */
  sqlite?: string;
  postgres?: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE user_pools (
  id TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX user_pools_by_region ON user_pools (region, id);

CREATE TABLE user_pool_clients (
  client_id TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  config TEXT NOT NULL,
  client_secret TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX user_pool_clients_by_pool ON user_pool_clients (pool_id, client_id);

CREATE TABLE users (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  username_key TEXT NOT NULL,
  username TEXT NOT NULL,
  sub TEXT NOT NULL,
  status TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  password_hash TEXT,
  srp_salt TEXT,
  srp_verifier TEXT,
  password_changed_at BIGINT,
  temp_password_expires_at BIGINT,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  last_failed_at BIGINT,
  locked_until BIGINT,
  tokens_revoked_before BIGINT,
  data TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, username_key)
);
CREATE UNIQUE INDEX users_by_sub ON users (pool_id, sub);
CREATE INDEX users_by_status ON users (pool_id, status, username_key);
CREATE INDEX users_by_username ON users (pool_id, username);

CREATE TABLE user_attribute_index (
  pool_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  username_key TEXT NOT NULL,
  PRIMARY KEY (pool_id, name, value, username_key),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX user_attribute_index_by_user ON user_attribute_index (pool_id, username_key);

CREATE TABLE user_aliases (
  pool_id TEXT NOT NULL,
  alias_key TEXT NOT NULL,
  username_key TEXT NOT NULL,
  PRIMARY KEY (pool_id, alias_key),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX user_aliases_by_user ON user_aliases (pool_id, username_key);

CREATE TABLE groups (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  group_name TEXT NOT NULL,
  description TEXT,
  role_arn TEXT,
  precedence INTEGER,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, group_name)
);

CREATE TABLE user_groups (
  pool_id TEXT NOT NULL,
  group_name TEXT NOT NULL,
  username_key TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, group_name, username_key),
  FOREIGN KEY (pool_id, group_name) REFERENCES groups (pool_id, group_name) ON DELETE CASCADE,
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX user_groups_by_user ON user_groups (pool_id, username_key, group_name);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  token_use TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT,
  expires_at BIGINT
);
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id, token_use, created_at);

CREATE TABLE auth_sessions (
  id TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  username_key TEXT,
  data TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_at);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  username_key TEXT NOT NULL,
  origin_jti TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (pool_id, username_key);
CREATE INDEX refresh_tokens_by_origin ON refresh_tokens (origin_jti);

CREATE TABLE revoked_tokens (
  origin_jti TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL,
  revoked_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE TABLE verification_codes (
  pool_id TEXT NOT NULL,
  username_key TEXT NOT NULL,
  purpose TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, username_key, purpose),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);

CREATE TABLE rate_counters (
  counter_key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL
);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL,
  pool_id TEXT,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  subject TEXT,
  body TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_by_seq ON outbox (seq);
CREATE INDEX outbox_by_destination ON outbox (destination, seq);
`,
  },
  {
    // ListUsers' `status = "Enabled"` / `"Disabled"` filter (users, ListUsers).
    version: 2,
    sql: `
CREATE INDEX users_by_enabled ON users (pool_id, enabled, username_key);
`,
  },
  {
    // Sign-in (auth/sessions.ts): a used-marker so a reused challenge Session gets Cognito's
    // "session can only be used once", and per-pool secrets (the stable simulated SRP salt for
    // unknown users when PreventUserExistenceErrors is ENABLED).
    version: 3,
    sql: `
ALTER TABLE auth_sessions ADD COLUMN consumed_at BIGINT;
CREATE TABLE pool_secrets (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, purpose)
);
`,
  },
  {
    // Outbox reads (http/outbox.ts, cli/outbox.ts): by pool, and by address without case
    // (emails compare case-insensitively), newest last.
    version: 4,
    sql: `
CREATE INDEX outbox_by_pool ON outbox (pool_id, seq);
CREATE INDEX outbox_by_destination_lower ON outbox (LOWER(destination), seq);
`,
  },
  {
    // Housekeeping (domain/housekeeping.ts): sweeping what has expired without a table scan.
    version: 5,
    sql: `
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);
CREATE INDEX verification_codes_by_expiry ON verification_codes (expires_at);
CREATE INDEX signing_keys_by_expiry ON signing_keys (expires_at);
`,
  },
  {
    // Federation's stored half (domain/federation/identity-providers.ts, domain/pools/domains.ts): a pool's
    // identity providers, and its domains. A domain is unique per region across pools, so it is
    // keyed by (region, domain); both go with their pool.
    version: 6,
    sql: `
CREATE TABLE identity_providers (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  provider_name TEXT NOT NULL,
  provider_type TEXT NOT NULL,
  provider_details TEXT NOT NULL,
  attribute_mapping TEXT NOT NULL,
  idp_identifiers TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, provider_name)
);

CREATE TABLE user_pool_domains (
  region TEXT NOT NULL,
  domain TEXT NOT NULL,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  custom_domain_config TEXT,
  managed_login_version INTEGER,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (region, domain)
);
CREATE INDEX user_pool_domains_by_pool ON user_pool_domains (pool_id);
`,
  },
  {
    // Identity pools (cognito-identity; domain/identity/identity-pools.ts). Ids are `<region>:<uuid>`;
    // ListIdentityPools pages one region's pools in id order. Settings, roles, role mappings and
    // tags are JSON documents in Cognito's own shapes.
    version: 7,
    sql: `
CREATE TABLE identity_pools (
  id TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  roles TEXT NOT NULL,
  role_mappings TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX identity_pools_by_region ON identity_pools (region, id);
`,
  },
  {
    // TOTP MFA (domain/mfa/software-tokens.ts): a user's authenticator-app secret, sealed under
    // the master key (store/sealing.ts), and the one associated but not yet verified; the last
    // step whose code was accepted, so that a code is taken once only. Goes with its user.
    version: 8,
    sql: `
CREATE TABLE software_tokens (
  pool_id TEXT NOT NULL,
  username_key TEXT NOT NULL,
  secret TEXT,
  friendly_name TEXT,
  last_step BIGINT,
  verified_at BIGINT,
  pending_secret TEXT,
  pending_at BIGINT,
  PRIMARY KEY (pool_id, username_key),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
`,
  },
  {
    // Remembered devices (domain/mfa/devices.ts): a device key issued in NewDeviceMetadata is
    // 'pending' until ConfirmDevice stores its SRP salt and verifier (hex, like users.srp_*);
    // pending rows expire. A user's devices are listed in key order; they go with their user.
    version: 9,
    sql: `
CREATE TABLE devices (
  pool_id TEXT NOT NULL,
  device_key TEXT NOT NULL,
  username_key TEXT NOT NULL,
  device_group_key TEXT NOT NULL,
  status TEXT NOT NULL,
  remembered_status TEXT,
  device_name TEXT,
  srp_salt TEXT,
  srp_verifier TEXT,
  last_ip TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_authenticated_at BIGINT,
  expires_at BIGINT,
  PRIMARY KEY (pool_id, device_key),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX devices_by_user ON devices (pool_id, username_key, status, device_key);
`,
  },
  {
    // Passkeys (domain/mfa/webauthn.ts): a user's WebAuthn credentials, keyed by the credential
    // id (base64url) within the pool; the COSE public key (base64url) and the signature counter
    // the last assertion reported. Listed per user in creation order; they go with their user.
    version: 10,
    sql: `
CREATE TABLE webauthn_credentials (
  pool_id TEXT NOT NULL,
  credential_id TEXT NOT NULL,
  username_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  sign_count BIGINT NOT NULL,
  relying_party_id TEXT NOT NULL,
  friendly_name TEXT NOT NULL,
  attachment TEXT,
  transports TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  PRIMARY KEY (pool_id, credential_id),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX webauthn_credentials_by_user ON webauthn_credentials (pool_id, username_key, created_at, credential_id);
`,
  },
  {
    // The hosted UI's short-lived artefacts (hosted-ui/): authorization codes and sign-in
    // sessions, each stored under the SHA-256 of the value the browser or client holds, single
    // use where the protocol says so (consumed_at set in the statement that redeems it).
    version: 11,
    sql: `
CREATE TABLE oauth_artifacts (
  kind TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  pool_id TEXT NOT NULL,
  client_id TEXT,
  username_key TEXT,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT,
  PRIMARY KEY (kind, id_hash)
);
CREATE INDEX oauth_artifacts_by_expiry ON oauth_artifacts (expires_at);
`,
  },
  {
    // Hosted-UI configuration (domain/pools/resource-servers.ts, ui-customization.ts,
    // managed-login-branding.ts, terms.ts). Resource servers are keyed by identifier in their
    // pool, scopes as a JSON list. A UI customization is keyed 'ALL' (pool-wide, client_id NULL)
    // or by its client, which it follows on delete. Brandings and terms belong to a client.
    version: 12,
    sql: `
CREATE TABLE resource_servers (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  identifier TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, identifier)
);

CREATE TABLE ui_customizations (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  client_id TEXT REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
  css TEXT,
  image TEXT,
  image_type TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, target)
);
CREATE INDEX ui_customizations_by_client ON ui_customizations (client_id);

CREATE TABLE managed_login_brandings (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  branding_id TEXT NOT NULL,
  client_id TEXT NOT NULL UNIQUE REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
  use_cognito_provided_values INTEGER NOT NULL,
  settings TEXT NOT NULL,
  assets TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, branding_id)
);

CREATE TABLE terms (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  terms_id TEXT NOT NULL,
  client_id TEXT NOT NULL REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
  terms_name TEXT NOT NULL,
  terms_source TEXT NOT NULL,
  enforcement TEXT NOT NULL,
  links TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, terms_id),
  UNIQUE (client_id, terms_name)
);
`,
  },
  {
    // Federation (OIDC/social): AdminLinkProviderForUser's links, from a provider user (by the
    // attribute named, Cognito_Subject for the provider's own id) to a user of the pool; a link
    // goes with its user.
    version: 13,
    sql: `
CREATE TABLE federated_links (
  pool_id TEXT NOT NULL,
  provider_name TEXT NOT NULL,
  attribute_name TEXT NOT NULL,
  attribute_value TEXT NOT NULL,
  username_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, provider_name, attribute_name, attribute_value),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX federated_links_by_user ON federated_links (pool_id, username_key);
`,
  },
  {
    // SAML assertions a pool accepted (federation/saml-response.ts), by the SHA-256 of their ID,
    // until they would have expired: each assertion signs a user in once.
    version: 14,
    sql: `
CREATE TABLE saml_assertions (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  id_hash TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, id_hash)
);
CREATE INDEX saml_assertions_by_expiry ON saml_assertions (pool_id, expires_at);
`,
  },
  {
    // Identities of identity pools (domain/identity/identities.ts): `<region>:<uuid>` ids, one per
    // (pool, provider, user at the provider) through identity_logins, whose key makes a login
    // belong to one identity only. A developer provider may have several user identifiers on one
    // identity (MergeDeveloperIdentities). `disabled`: the last login was unlinked. The identity
    // service's own RS256 keys (GetOpenIdToken), private half sealed like signing_keys'.
    version: 15,
    sql: `
CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX identities_by_pool ON identities (pool_id, id);

CREATE TABLE identity_logins (
  pool_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX identity_logins_by_identity ON identity_logins (identity_id);

CREATE TABLE identity_signing_keys (
  kid TEXT PRIMARY KEY,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT,
  expires_at BIGINT
);
`,
  },
  {
    // Temporary AWS credentials that Tobira mints (domain/identity/credentials.ts) for
    // GetCredentialsForIdentity and STS AssumeRoleWithWebIdentity, looked up by access key id when
    // a request signed with them reaches the STS endpoint (http/sts.ts). The secret key is sealed
    // like the store's other secrets (it must be read back to check signatures); the session token
    // is kept only as a hash. Rows outlive their expiry for a day, so an expired key is told apart
    // from an unknown one (ExpiredToken, not InvalidClientTokenId). Principal tags: the session's.
    // The principal tag attribute maps of SetPrincipalTagAttributeMap, per pool and provider.
    version: 16,
    sql: `
CREATE TABLE temporary_credentials (
  access_key_id TEXT PRIMARY KEY,
  secret_access_key TEXT NOT NULL,
  session_token_hash TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  session_name TEXT NOT NULL,
  identity_id TEXT,
  identity_pool_id TEXT,
  principal_tags TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX temporary_credentials_by_expiry ON temporary_credentials (expires_at);

CREATE TABLE principal_tag_maps (
  identity_pool_id TEXT NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
  provider_name TEXT NOT NULL,
  use_defaults INTEGER NOT NULL,
  principal_tags TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (identity_pool_id, provider_name)
);
`,
  },
  {
    // Client secret rotation (AddUserPoolClientSecret). The secret DescribeUserPoolClient shows
    // stays in user_pool_clients.client_secret; its id and date are null while it is the one the
    // client was created with, and set when an added secret moves there (its own first was
    // deleted). Added secrets, sealed, wait in user_pool_client_secrets.
    version: 17,
    sql: `
ALTER TABLE user_pool_clients ADD COLUMN client_secret_id TEXT;
ALTER TABLE user_pool_clients ADD COLUMN client_secret_created_at BIGINT;
CREATE TABLE user_pool_client_secrets (
  client_id TEXT NOT NULL REFERENCES user_pool_clients (client_id) ON DELETE CASCADE,
  secret_id TEXT NOT NULL,
  client_secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (client_id, secret_id)
);
`,
  },
  {
    // Threat protection (domain/threat/): each user's authentication events, newest first by
    // (pool, user, created); the risk configurations, per pool (client_id '') or per app
    // client; and each pool's log delivery configuration (domain/logs/).
    version: 18,
    sql: `
CREATE TABLE auth_events (
  pool_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  username_key TEXT NOT NULL,
  client_id TEXT,
  event_type TEXT NOT NULL,
  response TEXT NOT NULL,
  risk TEXT NOT NULL,
  challenges TEXT NOT NULL,
  context TEXT NOT NULL,
  ip TEXT,
  device TEXT,
  feedback TEXT,
  feedback_token_hash TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, event_id),
  FOREIGN KEY (pool_id, username_key) REFERENCES users (pool_id, username_key) ON DELETE CASCADE
);
CREATE INDEX auth_events_by_user ON auth_events (pool_id, username_key, created_at, event_id);
CREATE INDEX auth_events_by_created ON auth_events (created_at);

CREATE TABLE risk_configurations (
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  config TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pool_id, client_id)
);

CREATE TABLE log_delivery_configurations (
  pool_id TEXT NOT NULL PRIMARY KEY REFERENCES user_pools (id) ON DELETE CASCADE,
  config TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
`,
  },
  {
    // User import jobs (domain/import/): the job with its counts and the hash of its upload URL's
    // token; the uploaded CSV, base64 in chunks of about 1 MB (an upload in progress writes under
    // its own upload_id, and the job points at the last complete one); and each job's log of
    // skipped and failed rows, one JSON entry per row, in seq order.
    version: 20,
    sql: `
CREATE TABLE user_import_jobs (
  job_id TEXT PRIMARY KEY,
  pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
  job_name TEXT NOT NULL,
  status TEXT NOT NULL,
  role_arn TEXT,
  pre_signed_url TEXT,
  upload_token_hash TEXT,
  upload_expires_at BIGINT,
  upload_id TEXT,
  upload_bytes BIGINT,
  rows_total BIGINT,
  rows_done BIGINT NOT NULL DEFAULT 0,
  imported_users BIGINT NOT NULL DEFAULT 0,
  skipped_users BIGINT NOT NULL DEFAULT 0,
  failed_users BIGINT NOT NULL DEFAULT 0,
  completion_message TEXT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  completed_at BIGINT,
  heartbeat_at BIGINT
);
CREATE INDEX user_import_jobs_by_pool ON user_import_jobs (pool_id, created_at, job_id);

CREATE TABLE user_import_uploads (
  job_id TEXT NOT NULL REFERENCES user_import_jobs (job_id) ON DELETE CASCADE,
  upload_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, upload_id, seq)
);

CREATE TABLE user_import_log (
  job_id TEXT NOT NULL REFERENCES user_import_jobs (job_id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  entry TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
`,
  },
  {
    // The console's feed of a pool's newest sign-in events (repos/auth-events.ts recentInPool).
    version: 21,
    sql: `
CREATE INDEX auth_events_by_pool ON auth_events (pool_id, created_at, event_id);
`,
  },
  {
    // A pool row's version, drawn anew on every write of the row (repos/pools.ts newPoolVersion):
    // a read outside a transaction fetches the settings text (some 4 KB) only when the version
    // differs from the one whose settings it keeps parsed. Rows here now get a random one; ''
    // (the default, left by a writer that does not know the column) is never taken as unchanged.
    version: 22,
    sql: `
ALTER TABLE user_pools ADD COLUMN version TEXT NOT NULL DEFAULT '';
UPDATE user_pools SET version = CAST(random() AS TEXT);
`,
  },
  {
    // Each user's UserType as ListUsers lists it, written with the row (repos/users.ts listedText):
    // a page is its rows' texts joined. NULL until the row is next written by this code; such a
    // row is listed from its columns. The trigger empties the text when an UPDATE changes what it
    // is written from without writing it anew: a writer that does not know the column (a node of an
    // earlier version during an upgrade, a hand-made UPDATE), whose change must not hide behind
    // the old text. The writers here always write a new text (with a new mark), which never fires it.
    version: 23,
    sql: `
ALTER TABLE users ADD COLUMN listed TEXT;
`,
    sqlite: `
CREATE TRIGGER users_listed_outdated AFTER UPDATE OF username, status, enabled, attributes, data, created_at, updated_at ON users
FOR EACH ROW WHEN NEW.listed IS NOT NULL AND NEW.listed = OLD.listed AND (NEW.username IS NOT OLD.username OR NEW.status IS NOT OLD.status
  OR NEW.enabled IS NOT OLD.enabled OR NEW.attributes IS NOT OLD.attributes OR NEW.data IS NOT OLD.data
  OR NEW.created_at IS NOT OLD.created_at OR NEW.updated_at IS NOT OLD.updated_at)
BEGIN
  UPDATE users SET listed = NULL WHERE pool_id = NEW.pool_id AND username_key = NEW.username_key;
END;
`,
    postgres: `
CREATE FUNCTION users_listed_outdated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.listed := NULL;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_listed_outdated BEFORE UPDATE ON users FOR EACH ROW
WHEN (NEW.listed IS NOT NULL AND NEW.listed = OLD.listed AND (NEW.username, NEW.status, NEW.enabled, NEW.attributes, NEW.data, NEW.created_at, NEW.updated_at)
  IS DISTINCT FROM (OLD.username, OLD.status, OLD.enabled, OLD.attributes, OLD.data, OLD.created_at, OLD.updated_at))
EXECUTE FUNCTION users_listed_outdated();
`,
  },
];
