import type { Sql } from '../db.ts';

export class KeyRepo {
  constructor(private readonly sql: Sql) {}
}
