/**
 * `tobira start --workers N`: N processes serving one port over one store, with node:cluster.
 * The primary forks the workers, does the start-up work once while they load the server's code
 * (tobira.ts prepareStart: migrations, sealing, --config, the local CA), then lets them open the
 * store and listen. They share its listening socket, which hands them the connections in turn (port 0 too: the first listen picks the port, the others get the same). It
 * says the start banner once every worker listens, replaces a worker that dies with a back-off,
 * and on SIGTERM or SIGINT stops each gracefully and exits when they are gone. It serves nothing.
 *
 * Several processes are safe because several `tobira start` nodes on one store already are:
 * everything that must be shared (sessions, codes, counters, the outbox, signing keys) is in the
 * store, and what a process caches is either immutable (keys by kid) or re-read within seconds.
 * What is not in the store is each process's metrics: a scrape of /metrics asks the primary,
 * which asks every worker for its own (http/metrics.ts sums them).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

/** The longest wait before a dead worker is replaced, and the window its deaths are counted in. */
const MAX_BACKOFF_MS = 10_000;
const DEATH_WINDOW_MS = 60_000;
/** How long the primary waits for a worker's metrics: one that has not answered by then is left out of the scrape. */
const METRICS_WAIT_MS = 1_000;

/**
 * How many processes `tobira start` runs: `--workers` over TOBIRA_WORKERS over the number of
 * cores. An --in-memory store lives in one process's memory, so it runs one, and refuses more.
 */
export function workerCount(flag: string | undefined, env: NodeJS.ProcessEnv, config: Config): number {
  const value = flag ?? (env.TOBIRA_WORKERS || undefined);
  const shared = config.dataDir !== null || Boolean(config.databaseUrl);
  if (value === undefined) return shared ? availableParallelism() : 1;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1024) throw new Error(`--workers must be a whole number from 1 to 1024, not ${value}`);
  if (n > 1 && !shared) {
    throw new Error(`--workers ${n} with --in-memory: an in-memory store lives in one process and cannot be shared; use --data-dir or --database-url for several workers`);
  }
  return n;
}

/**
 * The UV_THREADPOOL_SIZE of a worker when bin/tobira.cjs sized this process's pool (one thread a
 * core): a worker's share of the cores, so that N workers run no more hashes at once than there are
 * cores. Nothing when the environment gave a size, which the workers inherit.
 */
export function threadPoolShare(count: number): { UV_THREADPOOL_SIZE?: string } {
  if (!(globalThis as Record<symbol, unknown>)[Symbol.for('tobira.threadPoolSized')]) return {};
  return { UV_THREADPOOL_SIZE: String(Math.max(1, Math.ceil(availableParallelism() / count))) };
}

/** True in a process the primary forked. */
export const isClusterWorker = (): boolean => cluster.isWorker;

/** Set once the primary said it prepared: this process is a worker of `tobira start`, not of someone else's cluster. */
let tobiraWorker = false;

/** True in a worker of `tobira start --workers N`, whose primary answers the messages below. */
export const inTobiraCluster = (): boolean => tobiraWorker;

/**
 * The metrics of the workers that answered in time (each one `getMetricsAsJSON()`), how many were
 * asked, and the counters and histograms of workers that ended since the start, summed, as they
 * last reported them (undefined until one ended).
 */
export interface WorkersMetrics {
  asked: number;
  reports: unknown[];
  retired?: unknown[];
}

/** In a worker: answers the primary's requests for this process's metrics with what `collect` gives. */
export function answerMetricsRequests(collect: () => Promise<unknown>): void {
  process.on('message', (m: { tobira?: string; id?: number }) => {
    if (m?.tobira !== 'metrics?') return;
    // One that fails is not answered, and so left out like one that is too slow.
    collect().then(
      (metrics) => process.connected && process.send!({ tobira: 'metrics', id: m.id, metrics }, undefined, undefined, () => {}),
      () => {},
    );
  });
}

let scrapes = 0;

/**
 * In a worker: every live worker's metrics (this one's too), gathered by the primary; undefined
 * if the primary does not answer (it is stopping), for the caller to answer with its own.
 */
export function gatherWorkersMetrics(): Promise<WorkersMetrics | undefined> {
  const id = ++scrapes;
  return new Promise((resolve) => {
    const done = (answer: WorkersMetrics | undefined) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(answer);
    };
    const onMessage = (m: { tobira?: string; id?: number } & WorkersMetrics) => {
      if (m?.tobira === 'scraped' && m.id === id) done({ asked: m.asked, reports: m.reports, retired: m.retired });
    };
    const timer = setTimeout(() => done(undefined), 2 * METRICS_WAIT_MS);
    process.on('message', onMessage);
    if (process.connected) process.send!({ tobira: 'scrape', id }, undefined, undefined, (err) => err && done(undefined));
    else done(undefined);
  });
}

/**
 * A worker whose start failed says why, as main does, and ends (code 1), for the primary to see:
 * its channel to the primary would keep it waiting.
 */
export function workerFailed(err: Error): never {
  process.stderr.write(`tobira start: ${err.message}\n`);
  process.exit(1);
}

/** A worker's log: each line names the worker it came from. */
export async function workerLog(config: Config): Promise<Logger> {
  const { createLogger } = await import('../app.ts');
  return createLogger(config).child({ worker: cluster.worker!.id });
}

/**
 * Resolves once the primary has done the start-up work. The workers start with it, so that
 * loading the server's code overlaps that work; asked for, so that no answer is missed.
 */
export function primaryPrepared(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: { tobira?: string }) => {
      if (m?.tobira !== 'prepared') return;
      process.off('message', onMessage);
      tobiraWorker = true;
      resolve();
    };
    process.on('message', onMessage);
    process.send!({ tobira: 'waiting' });
  });
}

/** Tells the primary this worker listens, at url. */
export function reportListening(url: string): void {
  process.send!({ tobira: 'listening', url });
}

/**
 * The primary: N workers, which load the server's code while it does the start-up work and
 * then open the store; the banner (`banner(log, url)`) once all listen. Resolves once they do;
 * rejects, having stopped the workers, if the start-up work fails or a worker ends before it
 * listens (its own error is on stderr). Then it keeps them running until SIGTERM or SIGINT.
 */
export async function runPrimary(config: Config, count: number, banner: (log: Logger, url: string) => void): Promise<void> {
  // Made once the workers are forked: it loads app.ts, which they need not wait for.
  let log: Logger | undefined;
  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  const deaths: number[] = [];
  const pending = new Set<NodeJS.Timeout>();
  let started = false;
  let stopping = false;
  let url: string | undefined;
  let allListening!: () => void;
  let failStart!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    allListening = resolve;
    failStart = reject;
  });
  ready.catch(() => {}); // awaited below; a worker may fail before that
  let prepared = false;
  const waiting = new Set<Worker>();
  // The primary's requests for metrics awaiting a worker's answer, by request id.
  let metricsAsked = 0;
  const metricsAnswers = new Map<number, (metrics: unknown) => void>();
  // What each worker last answered, and the counters and histograms of the workers that ended:
  // a scrape adds those, so that a sum never goes back when a worker is replaced (Prometheus would
  // take the drop for a restart of the series and count the sum after it as all new). What a dead
  // worker counted after its last scrape is lost.
  const lastReports = new Map<Worker, unknown>();
  let retired: Promise<unknown[] | undefined> = Promise.resolve(undefined);
  const retire = (report: unknown) => {
    const kept = (report as { type?: string }[]).filter((m) => m.type === 'counter' || m.type === 'histogram');
    retired = retired.then(async (before) => {
      const { AggregatorRegistry } = await import('prom-client');
      return AggregatorRegistry.aggregate((before ? [before, kept] : [kept]) as Parameters<typeof AggregatorRegistry.aggregate>[0]).getMetricsAsJSON();
    });
  };

  /** Asks every listening worker for its metrics; those that have not answered within METRICS_WAIT_MS are left out. */
  const gatherMetrics = async (): Promise<WorkersMetrics> => {
    const asked = [...listening].filter((w) => w.isConnected());
    const answers = await Promise.all(
      asked.map(
        (w) =>
          new Promise<unknown>((resolve) => {
            const id = ++metricsAsked;
            const timer = setTimeout(() => answered(undefined), METRICS_WAIT_MS);
            const answered = (metrics: unknown) => {
              clearTimeout(timer);
              metricsAnswers.delete(id);
              resolve(metrics);
            };
            metricsAnswers.set(id, answered);
            // A worker that disconnected meanwhile is left out (a callback, else its error would be thrown).
            w.send({ tobira: 'metrics?', id }, undefined, (err) => err && answered(undefined));
          }),
      ),
    );
    asked.forEach((w, i) => answers[i] !== undefined && alive.has(w) && lastReports.set(w, answers[i]));
    return { asked: asked.length, reports: answers.filter((a) => a !== undefined), retired: await retired.catch(() => undefined) };
  };

  const fork = () => {
    // The workers share the cores: each takes its part of the argon2id runs (domain/users/passwords.ts)
    // and, unless the environment sized it, of libuv's thread pool they run on (bin/tobira.cjs).
    const worker = cluster.fork({ TOBIRA_CLUSTER_SIZE: String(count), ...threadPoolShare(count) });
    alive.add(worker);
    worker.on('message', (m: { tobira?: string; url?: string; id?: number; metrics?: unknown }) => {
      if (m?.tobira === 'metrics') metricsAnswers.get(m.id!)?.(m.metrics);
      if (m?.tobira === 'scrape') {
        void gatherMetrics().then((gathered) => {
          if (worker.isConnected()) worker.send({ tobira: 'scraped', id: m.id, ...gathered }, undefined, () => {});
        });
      }
      if (m?.tobira === 'waiting') {
        if (prepared) worker.send({ tobira: 'prepared' });
        else waiting.add(worker);
      }
      if (m?.tobira !== 'listening') return;
      listening.add(worker);
      url ??= m.url;
      if (started) log!.info({ worker: worker.id, pid: worker.process.pid }, `worker ${worker.id} (pid ${worker.process.pid}) listening`);
      else if (listening.size === count) {
        started = true;
        banner(log!, url!);
        allListening();
      }
    });
  };

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log?.info({ signal }, 'shutting down');
    for (const t of pending) clearTimeout(t);
    // Each worker stops as a single process does on SIGTERM: in-flight requests finish first.
    for (const w of alive) w.process.kill('SIGTERM');
    if (alive.size === 0) ended();
  };
  // Before every worker listened, the start failed: main says why and the primary exits with 1.
  const ended = () => (started ? process.exit(0) : failStart(new Error('stopped before every worker listened')));

  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    listening.delete(worker);
    const last = lastReports.get(worker);
    lastReports.delete(worker);
    if (last !== undefined) retire(last);
    if (stopping) {
      if (alive.size === 0) ended();
      return;
    }
    const how = signal ? `by ${signal}` : `with code ${code}`;
    if (!started) {
      failStart(new Error(`worker ${worker.id} ended ${how} before it listened`));
      stop('start failed');
      return;
    }
    // Code 0 is a worker stopped on purpose (its own SIGTERM or SIGINT, as a terminal's Ctrl-C
    // sends to every process): not replaced. The primary ends with the last one.
    if (code === 0 && !signal) {
      if (alive.size === 0) ended();
      return;
    }
    const now = Date.now();
    while (deaths.length && deaths[0] <= now - DEATH_WINDOW_MS) deaths.shift();
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** deaths.length);
    deaths.push(now);
    log!.warn({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, `worker ${worker.id} (pid ${worker.process.pid}) ended ${how}; another starts in ${delay} ms`);
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!stopping) fork();
    }, delay);
    pending.add(timer);
  });

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < count; i++) fork();
  try {
    // Imported here, as main.ts imports tobira.ts: the other commands do not load the server.
    log = (await import('../app.ts')).createLogger(config);
    await (await import('../tobira.ts')).prepareStart(config, log);
  } catch (err) {
    failStart(err as Error);
    stop('start failed');
  }
  prepared = true;
  if (!stopping) for (const w of waiting) if (alive.has(w)) w.send({ tobira: 'prepared' });
  waiting.clear();
  await ready;
}
