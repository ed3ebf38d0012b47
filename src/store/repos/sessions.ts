import type { Sql } from '../db.ts';

export class SessionRepo {
  constructor(private readonly sql: Sql) {}
}
