import type { Sql } from '../db.ts';
import type { UserPoolDomain } from '../../domain/types.ts';

interface Row {
  region: string;
  domain: string;
  pool_id: string;
  custom_domain_config: string | null;
  managed_login_version: number | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): UserPoolDomain => ({
  region: r.region,
  domain: r.domain,
  poolId: r.pool_id,
  customDomainConfig: r.custom_domain_config === null ? null : JSON.parse(r.custom_domain_config),
  managedLoginVersion: r.managed_login_version === null || r.managed_login_version === undefined ? null : Number(r.managed_login_version),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** User pool domains, unique per region across pools. They go with their pool (FK cascade). */
export class DomainRepo {
  constructor(private readonly sql: Sql) {}

  async get(region: string, domain: string): Promise<UserPoolDomain | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM user_pool_domains WHERE region = ? AND domain = ?', [region, domain]);
    return row && fromRow(row);
  }

  /** The pool's domains (a prefix domain and a custom domain at most). */
  /** Every domain of that name, whatever its region (the hosted UI finds a domain by name). */
  async byName(domain: string): Promise<UserPoolDomain[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM user_pool_domains WHERE domain = ? ORDER BY region', [domain]);
    return rows.map(fromRow);
  }

  async ofPool(poolId: string): Promise<UserPoolDomain[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM user_pool_domains WHERE pool_id = ? ORDER BY domain', [poolId]);
    return rows.map(fromRow);
  }

  /** Inserts; a domain taken in the region throws UniqueViolation (db.ts). */
  async insert(d: UserPoolDomain): Promise<void> {
    await this.sql.run(
      `INSERT INTO user_pool_domains (region, domain, pool_id, custom_domain_config, managed_login_version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [d.region, d.domain, d.poolId, d.customDomainConfig === null ? null : JSON.stringify(d.customDomainConfig), d.managedLoginVersion, d.createdAt, d.updatedAt],
    );
  }

  async update(d: UserPoolDomain): Promise<void> {
    await this.sql.run(
      'UPDATE user_pool_domains SET custom_domain_config = ?, managed_login_version = ?, updated_at = ? WHERE region = ? AND domain = ?',
      [d.customDomainConfig === null ? null : JSON.stringify(d.customDomainConfig), d.managedLoginVersion, d.updatedAt, d.region, d.domain],
    );
  }

  async delete(region: string, domain: string): Promise<void> {
    await this.sql.run('DELETE FROM user_pool_domains WHERE region = ? AND domain = ?', [region, domain]);
  }
}
