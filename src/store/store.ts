import type { Database, Sql } from './db.ts';
import { PoolRepo } from './repos/pools.ts';
import { ClientRepo } from './repos/clients.ts';
import { UserRepo } from './repos/users.ts';
import { GroupRepo } from './repos/groups.ts';
import { KeyRepo } from './repos/keys.ts';
import { SessionRepo } from './repos/sessions.ts';
import { TokenRepo } from './repos/tokens.ts';
import { CodeRepo } from './repos/codes.ts';
import { OutboxRepo } from './repos/outbox.ts';
import { CounterRepo } from './repos/counters.ts';
import { IdentityProviderRepo } from './repos/identity-providers.ts';
import { DomainRepo } from './repos/domains.ts';
import { IdentityPoolRepo } from './repos/identity-pools.ts';
import { DeviceRepo } from './repos/devices.ts';
import { WebAuthnCredentialRepo } from './repos/webauthn.ts';
import { ResourceServerRepo } from './repos/resource-servers.ts';
import { UICustomizationRepo } from './repos/ui-customizations.ts';
import { ManagedLoginBrandingRepo } from './repos/managed-login-brandings.ts';
import { TermsRepo } from './repos/terms.ts';
import { OAuthArtifactRepo } from './repos/oauth-artifacts.ts';
import { SamlAssertionRepo } from './repos/saml-assertions.ts';
import { IdentityRepo, IdentityKeyRepo, sealedRow as identityKeyRow } from './repos/identities.ts';
import { FederatedLinkRepo } from './repos/federated-links.ts';
import { AuthEventRepo } from './repos/auth-events.ts';
import { RiskConfigurationRepo } from './repos/risk-configurations.ts';
import { LogDeliveryRepo } from './repos/log-delivery.ts';
import { TemporaryCredentialsRepo, sealedRow as temporaryCredentialsRow } from './repos/temporary-credentials.ts';
import { PrincipalTagMapRepo } from './repos/principal-tag-maps.ts';
import { ImportJobRepo } from './repos/import-jobs.ts';
import { SoftwareTokenRepo, sealedRow as softwareTokenRow, sealedPendingRow as pendingTokenRow } from './repos/software-tokens.ts';
import { sealedRow as clientRow, sealedSecretRow as clientSecretRow } from './repos/clients.ts';
import { sealedRow as keyRow } from './repos/keys.ts';
import { sealedRow as poolSecretRow } from './repos/sessions.ts';
import { sealedRow as providerRow } from './repos/identity-providers.ts';
import { clearSealer, type Sealer } from './sealing.ts';

/**
 * What the domain asks of storage, one repository per stored thing (repos/<thing>.ts). A Store
 * is bound either to the database (each call commits on its own) or to one open transaction
 * (inside `tx`). The sealer encrypts the secrets it must read back (store/sealing.ts).
 */
export class Store {
  readonly pools: PoolRepo;
  readonly clients: ClientRepo;
  readonly users: UserRepo;
  readonly groups: GroupRepo;
  readonly keys: KeyRepo;
  readonly sessions: SessionRepo;
  readonly tokens: TokenRepo;
  readonly codes: CodeRepo;
  readonly outbox: OutboxRepo;
  readonly counters: CounterRepo;
  readonly identityProviders: IdentityProviderRepo;
  readonly domains: DomainRepo;
  readonly identityPools: IdentityPoolRepo;
  readonly devices: DeviceRepo;
  readonly webauthn: WebAuthnCredentialRepo;
  readonly softwareTokens: SoftwareTokenRepo;
  readonly resourceServers: ResourceServerRepo;
  readonly uiCustomizations: UICustomizationRepo;
  readonly managedLoginBrandings: ManagedLoginBrandingRepo;
  readonly terms: TermsRepo;
  readonly oauthArtifacts: OAuthArtifactRepo;
  readonly samlAssertions: SamlAssertionRepo;
  readonly identities: IdentityRepo;
  readonly identityKeys: IdentityKeyRepo;
  readonly federatedLinks: FederatedLinkRepo;
  readonly authEvents: AuthEventRepo;
  readonly riskConfigurations: RiskConfigurationRepo;
  readonly logDelivery: LogDeliveryRepo;
  readonly temporaryCredentials: TemporaryCredentialsRepo;
  readonly principalTagMaps: PrincipalTagMapRepo;
  readonly importJobs: ImportJobRepo;

  constructor(
    readonly db: Database,
    readonly sealer: Sealer = clearSealer,
    private readonly sql: Sql = db,
    /** True for the store a transaction's function gets. */
    readonly inTransaction = false,
  ) {
    // Outside a transaction, pools and clients come with shared, frozen settings (repos/pools.ts).
    this.pools = new PoolRepo(sql, !inTransaction);
    this.clients = new ClientRepo(sql, sealer, !inTransaction);
    // In a PostgreSQL transaction, reading a user locks its row (repos/users.ts).
    this.users = new UserRepo(sql, { lockReads: inTransaction && db.dialect === 'postgres', arrays: db.dialect === 'postgres' });
    this.groups = new GroupRepo(sql);
    this.keys = new KeyRepo(sql, sealer);
    this.sessions = new SessionRepo(sql, sealer);
    this.tokens = new TokenRepo(sql, !inTransaction);
    this.codes = new CodeRepo(sql);
    this.outbox = new OutboxRepo(sql);
    this.counters = new CounterRepo(sql);
    this.identityProviders = new IdentityProviderRepo(sql, sealer);
    this.domains = new DomainRepo(sql);
    this.identityPools = new IdentityPoolRepo(sql);
    this.devices = new DeviceRepo(sql);
    this.webauthn = new WebAuthnCredentialRepo(sql);
    this.softwareTokens = new SoftwareTokenRepo(sql, sealer);
    this.resourceServers = new ResourceServerRepo(sql);
    this.uiCustomizations = new UICustomizationRepo(sql);
    this.managedLoginBrandings = new ManagedLoginBrandingRepo(sql);
    this.terms = new TermsRepo(sql);
    this.oauthArtifacts = new OAuthArtifactRepo(sql);
    this.samlAssertions = new SamlAssertionRepo(sql);
    this.identities = new IdentityRepo(sql);
    this.identityKeys = new IdentityKeyRepo(sql, sealer);
    this.federatedLinks = new FederatedLinkRepo(sql);
    this.authEvents = new AuthEventRepo(sql);
    this.riskConfigurations = new RiskConfigurationRepo(sql);
    this.logDelivery = new LogDeliveryRepo(sql);
    this.temporaryCredentials = new TemporaryCredentialsRepo(sql, sealer);
    this.principalTagMaps = new PrincipalTagMapRepo(sql);
    this.importJobs = new ImportJobRepo(sql);
  }

  /** Runs fn in one transaction; nested calls join the open one. */
  tx<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction((sql) => fn(new Store(this.db, this.sealer, sql, true)));
  }

  /**
   * Run at start-up. Opens one sealed secret of each kind, so a missing or wrong master key stops
   * the start with a clear message instead of failing requests later; then, when a master key is
   * given, seals every secret still stored in clear (one transaction). Returns how many it sealed.
   */
  async prepareSecrets(): Promise<number> {
    for (const c of SEALED_COLUMNS) {
      const one = await this.sql.get<Found>(`${selectOf(c)} WHERE ${c.column} LIKE 'sealed:%' LIMIT 1`);
      if (one) this.sealer.open(one.v, c.row(...keyOf(c, one)));
    }
    if (!this.sealer.sealing) return 0;
    return this.tx(async (s) => {
      let sealed = 0;
      for (const c of SEALED_COLUMNS) {
        const rows = await s.sql.all<Found>(`${selectOf(c)} WHERE ${c.column} IS NOT NULL AND ${c.column} NOT LIKE 'sealed:%'`);
        const update = `UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.keys.map((k) => `${k} = ?`).join(' AND ')}`;
        for (const r of rows) {
          const key = keyOf(c, r);
          await s.sql.run(update, [this.sealer.seal(r.v, c.row(...key)), ...key]);
          sealed++;
        }
      }
      return sealed;
    });
  }
}

/** Every column that holds a sealed (or still clear) secret: its table, row key and how the row is named for sealing. */
interface SealedColumn {
  table: string;
  keys: string[];
  column: string;
  row: (...key: string[]) => string;
}

const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'signing_keys', keys: ['kid'], column: 'private_jwk', row: keyRow },
  { table: 'identity_signing_keys', keys: ['kid'], column: 'private_jwk', row: identityKeyRow },
  { table: 'user_pool_clients', keys: ['client_id'], column: 'client_secret', row: clientRow },
  { table: 'user_pool_client_secrets', keys: ['client_id', 'secret_id'], column: 'client_secret', row: clientSecretRow },
  { table: 'pool_secrets', keys: ['pool_id', 'purpose'], column: 'secret', row: poolSecretRow },
  { table: 'identity_providers', keys: ['pool_id', 'provider_name'], column: 'provider_details', row: providerRow },
  { table: 'temporary_credentials', keys: ['access_key_id'], column: 'secret_access_key', row: temporaryCredentialsRow },
  { table: 'software_tokens', keys: ['pool_id', 'username_key'], column: 'secret', row: softwareTokenRow },
  { table: 'software_tokens', keys: ['pool_id', 'username_key'], column: 'pending_secret', row: pendingTokenRow },
];

/** A stored secret found by prepareSecrets: its row key columns and its value `v`. */
type Found = Record<string, string> & { v: string };
const selectOf = (c: SealedColumn) => `SELECT ${c.keys.join(', ')}, ${c.column} AS v FROM ${c.table}`;
const keyOf = (c: SealedColumn, r: Found) => c.keys.map((k) => r[k]);
