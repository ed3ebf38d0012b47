import { sealedRow as clientRow, sealedSecretRow as clientSecretRow } from '../store/repos/clients.ts';
import { newPoolVersion } from '../store/repos/pools.ts';
import { storedListedText } from '../store/repos/users.ts';
import { sealedRow as keyRow } from '../store/repos/keys.ts';
import { sealedRow as poolSecretRow } from '../store/repos/sessions.ts';
import { sealedRow as providerRow } from '../store/repos/identity-providers.ts';
import { sealedRow as softwareTokenRow, sealedPendingRow as pendingTokenRow } from '../store/repos/software-tokens.ts';

/**
 * The tables `tobira export` copies row for row (in `stored.rows`), parents before children,
 * each with the rows of one user pool (or identity pool) and an order that makes the output
 * the same on every export. Left out, on purpose: what is short-lived or history (sessions,
 * refresh tokens, codes, the outbox, OAuth codes, SAML assertions, temporary credentials,
 * authentication events, import jobs): users sign in again on the new store.
 */
export interface CopiedTable {
  table: string;
  /** Rows of the pool `?`. */
  where: string;
  order: string;
  /** A sealed column that may be NULL-free and then drops its row under `--secrets omit`. */
  sealed?: { column: string; row: (r: Row) => string; required?: boolean }[];
  /**
   * Columns not exported, that an import draws anew (user_pools.version: one value stands for one
   * stored row) or derives from the row's other columns (users.listed, a copy of them as
   * ListUsers writes them, which an edited file would leave stale).
   */
  fresh?: Record<string, (row: Row) => string | null>;
}

export type Row = Record<string, string | number | null>;

const s = (r: Row, k: string) => String(r[k]);

export const USER_POOL_TABLES: CopiedTable[] = [
  { table: 'user_pools', where: 'id = ?', order: 'id', fresh: { version: newPoolVersion } },
  { table: 'user_pool_clients', where: 'pool_id = ?', order: 'client_id', sealed: [{ column: 'client_secret', row: (r) => clientRow(s(r, 'client_id')) }] },
  {
    table: 'user_pool_client_secrets',
    where: 'client_id IN (SELECT client_id FROM user_pool_clients WHERE pool_id = ?)',
    order: 'client_id, secret_id',
    sealed: [{ column: 'client_secret', row: (r) => clientSecretRow(s(r, 'client_id'), s(r, 'secret_id')), required: true }],
  },
  { table: 'signing_keys', where: 'pool_id = ?', order: 'kid', sealed: [{ column: 'private_jwk', row: (r) => keyRow(s(r, 'kid')), required: true }] },
  { table: 'pool_secrets', where: 'pool_id = ?', order: 'purpose', sealed: [{ column: 'secret', row: (r) => poolSecretRow(s(r, 'pool_id'), s(r, 'purpose')), required: true }] },
  {
    table: 'identity_providers',
    where: 'pool_id = ?',
    order: 'provider_name',
    sealed: [{ column: 'provider_details', row: (r) => providerRow(s(r, 'pool_id'), s(r, 'provider_name')), required: true }],
  },
  { table: 'user_pool_domains', where: 'pool_id = ?', order: 'region, domain' },
  { table: 'resource_servers', where: 'pool_id = ?', order: 'identifier' },
  { table: 'groups', where: 'pool_id = ?', order: 'group_name' },
  { table: 'users', where: 'pool_id = ?', order: 'username_key', fresh: { listed: storedListedText } },
  { table: 'user_attribute_index', where: 'pool_id = ?', order: 'name, value, username_key' },
  { table: 'user_aliases', where: 'pool_id = ?', order: 'alias_key' },
  { table: 'user_groups', where: 'pool_id = ?', order: 'group_name, username_key' },
  {
    table: 'software_tokens',
    where: 'pool_id = ?',
    order: 'username_key',
    sealed: [
      { column: 'secret', row: (r) => softwareTokenRow(s(r, 'pool_id'), s(r, 'username_key')) },
      { column: 'pending_secret', row: (r) => pendingTokenRow(s(r, 'pool_id'), s(r, 'username_key')) },
    ],
  },
  { table: 'devices', where: 'pool_id = ?', order: 'device_key' },
  { table: 'webauthn_credentials', where: 'pool_id = ?', order: 'credential_id' },
  { table: 'federated_links', where: 'pool_id = ?', order: 'provider_name, attribute_name, attribute_value' },
  { table: 'ui_customizations', where: 'pool_id = ?', order: 'target' },
  { table: 'managed_login_brandings', where: 'pool_id = ?', order: 'branding_id' },
  { table: 'terms', where: 'pool_id = ?', order: 'terms_id' },
  { table: 'risk_configurations', where: 'pool_id = ?', order: 'client_id' },
  { table: 'log_delivery_configurations', where: 'pool_id = ?', order: 'pool_id' },
];

export const IDENTITY_POOL_TABLES: CopiedTable[] = [
  { table: 'identity_pools', where: 'id = ?', order: 'id' },
  { table: 'identities', where: 'pool_id = ?', order: 'id' },
  { table: 'identity_logins', where: 'pool_id = ?', order: 'provider, subject' },
  { table: 'principal_tag_maps', where: 'identity_pool_id = ?', order: 'provider_name' },
];

/** A value stored sealed under a master key (store/sealing.ts). */
export const isSealed = (v: unknown) => typeof v === 'string' && v.startsWith('sealed:');
