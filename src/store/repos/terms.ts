import type { Sql } from '../db.ts';
import type { TermsEnforcementType, TermsSourceType } from '../../generated/cognito-idp.ts';

/** Terms of use or a privacy policy of an app client (CreateTerms). */
export interface Terms {
  poolId: string;
  termsId: string;
  clientId: string;
  termsName: string;
  termsSource: TermsSourceType;
  enforcement: TermsEnforcementType;
  /** `cognito:default` or `cognito:<language>` -> URL. */
  links: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  terms_id: string;
  client_id: string;
  terms_name: string;
  terms_source: string;
  enforcement: string;
  links: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): Terms => ({
  poolId: r.pool_id,
  termsId: r.terms_id,
  clientId: r.client_id,
  termsName: r.terms_name,
  termsSource: r.terms_source as TermsSourceType,
  enforcement: r.enforcement as TermsEnforcementType,
  links: JSON.parse(r.links),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Terms documents, keyed by id in their pool, one of each name per client; they go with their client. */
export class TermsRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, termsId: string): Promise<Terms | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM terms WHERE pool_id = ? AND terms_id = ?', [poolId, termsId]);
    return row && fromRow(row);
  }

  async ofClient(clientId: string): Promise<Terms[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM terms WHERE client_id = ? ORDER BY terms_name', [clientId]);
    return rows.map(fromRow);
  }

  /** Inserts; a client that has terms of that name already throws UniqueViolation (db.ts). */
  async insert(t: Terms): Promise<void> {
    await this.sql.run(
      `INSERT INTO terms (pool_id, terms_id, client_id, terms_name, terms_source, enforcement, links, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [t.poolId, t.termsId, t.clientId, t.termsName, t.termsSource, t.enforcement, JSON.stringify(t.links), t.createdAt, t.updatedAt],
    );
  }

  /** Updates; a rename onto a name the client already has throws UniqueViolation. */
  async update(t: Terms): Promise<void> {
    await this.sql.run(
      'UPDATE terms SET terms_name = ?, terms_source = ?, enforcement = ?, links = ?, updated_at = ? WHERE pool_id = ? AND terms_id = ?',
      [t.termsName, t.termsSource, t.enforcement, JSON.stringify(t.links), t.updatedAt, t.poolId, t.termsId],
    );
  }

  async delete(poolId: string, termsId: string): Promise<void> {
    await this.sql.run('DELETE FROM terms WHERE pool_id = ? AND terms_id = ?', [poolId, termsId]);
  }

  /** In id order, after the given id. */
  async list(poolId: string, after: string | null, limit: number): Promise<Terms[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM terms WHERE pool_id = ? AND terms_id > ? ORDER BY terms_id LIMIT ?', [
      poolId,
      after ?? '',
      limit,
    ]);
    return rows.map(fromRow);
  }
}
