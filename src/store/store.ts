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

/**
 * What the domain asks of storage, one repository per stored thing (repos/<thing>.ts). A Store
 * is bound either to the database (each call commits on its own) or to one open transaction
 * (inside `tx`).
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

  constructor(
    readonly db: Database,
    sql: Sql = db,
    private readonly inTransaction = false,
  ) {
    this.pools = new PoolRepo(sql);
    this.clients = new ClientRepo(sql);
    this.users = new UserRepo(sql);
    this.groups = new GroupRepo(sql);
    this.keys = new KeyRepo(sql);
    this.sessions = new SessionRepo(sql);
    this.tokens = new TokenRepo(sql);
    this.codes = new CodeRepo(sql);
    this.outbox = new OutboxRepo(sql);
    this.counters = new CounterRepo(sql);
  }

  /** Runs fn in one transaction; nested calls join the open one. */
  tx<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction((sql) => fn(new Store(this.db, sql, true)));
  }
}
