import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './process.ts';

/** Where Debian's postgresql package puts the server binaries, newest version first. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

export interface RunningPostgres {
  /** A URL of a fresh database (LC_COLLATE C) on this server; each call makes a new one. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL server in a temporary directory, on a free loopback port, with trust
 * authentication.
 */
export async function startPostgres(bin: string, opts: { durable?: boolean } = {}): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-pg-'));
  // PostgreSQL refuses to run as root: under root (CI) its processes run as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const ids: { uid?: number; gid?: number } = {};
  if (asRoot) {
    ids.uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    ids.gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, ids.uid, ids.gid);
  }
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '--locale=C', '-E', 'UTF8', '-A', 'trust', '-U', 'postgres'], { stdio: 'ignore', cwd: dir, ...ids });
  const port = await freePort();
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200',
      // Throwaway data: durability off for speed, unless measuring (benchmarks).
      ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...ids },
  );
  let log = '';
  server.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => server.on('exit', () => r()));
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = new pg.Client({ connectionString: admin });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    newDatabase: () => createDatabase(admin),
    async stop() {
      server.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let made = 0;
/** A fresh database with byte-order collation on the server of `admin`; returns its URL. */
export async function createDatabase(admin: string): Promise<string> {
  const name = `tobira_${process.pid}_${++made}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'`);
  } finally {
    await c.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
