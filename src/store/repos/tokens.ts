import type { Sql } from '../db.ts';

export class TokenRepo {
  constructor(private readonly sql: Sql) {}
}
