import type { Sql } from '../db.ts';

export class GroupRepo {
  constructor(private readonly sql: Sql) {}
}
