import type { Sql } from '../db.ts';

export class OutboxRepo {
  constructor(private readonly sql: Sql) {}
}
