// The flags of `npm run bench -- paths`.
export interface PathsOptions {
  /** Seconds each case and each ceiling runs (--seconds). */
  seconds: number;
  /** Requests in flight (--concurrency). */
  concurrency: number;
  /** Users in the pool before the cases (--users). */
  users: number;
  /** Cold starts of each kind; the median is the figure (--starts). */
  starts: number;
  /**
   * Rounds of the cases (--rounds): each round runs every case once, so that a slow spell of a
   * shared machine falls on all of them; a case's row is its median round by ops per server CPU-s.
   */
  rounds: number;
  /** Case names to run (--only a,b), all when absent. */
  only?: Set<string>;
  /** Rewrite the table in bench/README.md (--write-table), with --note under it. */
  writeTable: boolean;
  note?: string;
}

export function parsePathsArgs(argv: string[]): PathsOptions {
  const o: PathsOptions = { seconds: 10, concurrency: 8, users: 5000, starts: 3, rounds: 1, writeTable: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const positive = () => {
      const n = Number(value());
      if (!(n > 0)) throw new Error(`${a} must be a positive number`);
      return n;
    };
    if (a === '--seconds') o.seconds = positive();
    else if (a === '--concurrency') o.concurrency = Math.round(positive());
    else if (a === '--users') o.users = Math.round(positive());
    else if (a === '--starts') o.starts = Math.round(positive());
    else if (a === '--rounds') o.rounds = Math.round(positive());
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--write-table') o.writeTable = true;
    else if (a === '--note') o.note = value();
    else throw new Error(`unknown flag ${a} (flags: --seconds N --concurrency N --users N --starts N --rounds N --only a,b --write-table --note TEXT)`);
  }
  return o;
}
