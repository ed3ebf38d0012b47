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
import { sealedRow as clientRow } from './repos/clients.ts';
import { sealedRow as keyRow } from './repos/keys.ts';
import { sealedRow as poolSecretRow } from './repos/sessions.ts';
import { sealedRow as providerRow } from './repos/identity-providers.ts';
import { clearSealer, isSealed, type Sealer } from './sealing.ts';

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

  constructor(
    readonly db: Database,
    readonly sealer: Sealer = clearSealer,
    private readonly sql: Sql = db,
    private readonly inTransaction = false,
  ) {
    this.pools = new PoolRepo(sql);
    this.clients = new ClientRepo(sql, sealer);
    this.users = new UserRepo(sql);
    this.groups = new GroupRepo(sql);
    this.keys = new KeyRepo(sql, sealer);
    this.sessions = new SessionRepo(sql, sealer);
    this.tokens = new TokenRepo(sql);
    this.codes = new CodeRepo(sql);
    this.outbox = new OutboxRepo(sql);
    this.counters = new CounterRepo(sql);
    this.identityProviders = new IdentityProviderRepo(sql, sealer);
    this.domains = new DomainRepo(sql);
    this.identityPools = new IdentityPoolRepo(sql);
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
    for (const kind of SEALED_COLUMNS) {
      const one = await this.sql.get<Found>(`${kind.select} WHERE ${kind.column} LIKE 'sealed:%' LIMIT 1`);
      if (one) this.sealer.open(one.v, kind.row(one));
    }
    if (!this.sealer.sealing) return 0;
    return this.tx(async (s) => {
      let sealed = 0;
      for (const kind of SEALED_COLUMNS) {
        const rows = await s.sql.all<Found>(`${kind.select} WHERE ${kind.column} IS NOT NULL AND ${kind.column} NOT LIKE 'sealed:%'`);
        for (const r of rows.filter((r) => !isSealed(r.v))) {
          await s.sql.run(kind.update, [this.sealer.seal(r.v, kind.row(r)), ...kind.key(r)]);
          sealed++;
        }
      }
      return sealed;
    });
  }
}

/** A stored secret found by prepareSecrets: its row key (one or two columns) and value. */
interface Found {
  k1: string;
  k2: string;
  v: string;
}

/** Every column that holds a sealed (or still clear) secret, with how its row is named and updated. */
const SEALED_COLUMNS = [
  {
    column: 'private_jwk',
    select: 'SELECT kid AS k1, kid AS k2, private_jwk AS v FROM signing_keys',
    update: 'UPDATE signing_keys SET private_jwk = ? WHERE kid = ?',
    key: (r: Found) => [r.k1],
    row: (r: Found) => keyRow(r.k1),
  },
  {
    column: 'client_secret',
    select: 'SELECT client_id AS k1, client_id AS k2, client_secret AS v FROM user_pool_clients',
    update: 'UPDATE user_pool_clients SET client_secret = ? WHERE client_id = ?',
    key: (r: Found) => [r.k1],
    row: (r: Found) => clientRow(r.k1),
  },
  {
    column: 'secret',
    select: 'SELECT pool_id AS k1, purpose AS k2, secret AS v FROM pool_secrets',
    update: 'UPDATE pool_secrets SET secret = ? WHERE pool_id = ? AND purpose = ?',
    key: (r: Found) => [r.k1, r.k2],
    row: (r: Found) => poolSecretRow(r.k1, r.k2),
  },
  {
    column: 'provider_details',
    select: 'SELECT pool_id AS k1, provider_name AS k2, provider_details AS v FROM identity_providers',
    update: 'UPDATE identity_providers SET provider_details = ? WHERE pool_id = ? AND provider_name = ?',
    key: (r: Found) => [r.k1, r.k2],
    row: (r: Found) => providerRow(r.k1, r.k2),
  },
];
