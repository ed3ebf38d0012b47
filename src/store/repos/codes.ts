import type { Sql } from '../db.ts';

export class CodeRepo {
  constructor(private readonly sql: Sql) {}
}
