import type { Sql } from '../db.ts';

export class CounterRepo {
  constructor(private readonly sql: Sql) {}
}
