import type { Registry } from 'prom-client';
import type { App } from '../app.ts';
import { answerMetricsRequests, gatherWorkersMetrics, inTobiraCluster } from '../cli/workers.ts';
import { SHAPES } from '../generated/cognito-idp.ts';
import type { Database } from '../store/db.ts';
import { isOperator } from './operator-access.ts';
import { registerRoutes } from './server.ts';

/**
 * What Tobira counts for Prometheus (GET /metrics): requests by operation and outcome with their
 * latency, sign-ins by flow and result, lockouts, messages, trigger invocations, store latency
 * and the PostgreSQL pool. One set per server (tests run several in one process); the counts are
 * bumped where the thing happens (http/aws-json.ts, app.ts's wrappers around the Messenger, the
 * functions and the database), never by parsing logs.
 *
 * They are counted here, in plain maps; prom-client, which writes them out, is loaded at the first
 * scrape, with its default metrics (process CPU and memory, event-loop lag, garbage collection),
 * which count from then on. Loading it at start cost ~50 ms of a ~0.5 s cold start and ~10 MiB of
 * memory, for a server most runs of which are never scraped.
 */
export class Metrics {
  /** Requests by `${service} ${operation} ${outcome}`. */
  private readonly byOutcome = new Map<string, OutcomeSeries>();

  private readonly latency = new Buckets(
    'tobira_request_duration_seconds',
    'API request latency by service and operation.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );

  private readonly signIns = new Tally(
    'tobira_sign_ins_total',
    'Sign-in steps (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge ...) by flow and result: tokens, challenge or the error type.',
  );

  private readonly lockouts = new Tally('tobira_lockouts_total', 'Sign-ins refused because of too many failed password attempts.', true);

  private readonly authEvents = new Tally(
    'tobira_auth_events_total',
    'Authentication events threat protection recorded (AUDIT or ENFORCED pools), by type, response and risk decision (Block: a blocked attempt).',
  );

  private readonly messages = new Tally('tobira_messages_total', 'Emails and SMS by channel, purpose and result (sent or failed).');

  private readonly invocations = new Tally('tobira_function_invocations_total', 'Lambda trigger and function invocations by trigger and result.');

  private readonly invocationLatency = new Buckets(
    'tobira_function_invocation_duration_seconds',
    'Lambda trigger and function invocation latency by trigger.',
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
  );

  private readonly storeLatency = new Buckets(
    'tobira_store_duration_seconds',
    'Store statements and transactions by kind (read, write, transaction).',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
  );

  /** What a scrape writes out, in this order. */
  private readonly all: Exposed[] = [
    exposed('tobira_requests_total', 'API requests by service, operation and outcome (OK or the error type).', 'counter', () =>
      [...this.byOutcome.values()].map((s) => ({ labels: s.labels, value: s.count })),
    ),
    this.latency,
    this.signIns,
    this.lockouts,
    this.authEvents,
    this.messages,
    this.invocations,
    this.invocationLatency,
    this.storeLatency,
  ];

  private registered: Promise<Registry> | undefined;

  /** The prom-client registry of these metrics and its default ones, made at the first call. */
  registry(): Promise<Registry> {
    this.registered ??= import('prom-client').then(({ Registry, collectDefaultMetrics }) => {
      const registry = new Registry();
      for (const m of this.all) registry.registerMetric(m as never);
      collectDefaultMetrics({ register: registry, prefix: 'tobira_' });
      return registry;
    });
    return this.registered;
  }

  /** One awsJson (or STS) request, with the operation's body and answer for sign-in counting. */
  request(service: string, operation: string, outcome: string, seconds: number, body?: Record<string, unknown>, result?: unknown): void {
    const key = `${service} ${operation} ${outcome}`;
    let s = this.byOutcome.get(key);
    if (!s) {
      s = { labels: { service, operation, outcome }, count: 0, latency: this.latency.series({ service, operation }) };
      this.byOutcome.set(key, s);
    }
    s.count++;
    observe(s.latency, seconds);
    if (!SIGN_IN_OPERATIONS.has(operation)) return;
    // Only the model's enum values become labels; anything else a caller sent counts as "other".
    const given = String(body?.AuthFlow ?? body?.ChallengeName ?? operation);
    const flow = FLOWS.has(given) || SIGN_IN_OPERATIONS.has(given) ? given : 'other';
    const answer = result as { AuthenticationResult?: unknown; ChallengeName?: unknown } | undefined;
    const step = outcome !== 'OK' ? outcome : answer?.AuthenticationResult ? 'tokens' : answer?.ChallengeName ? 'challenge' : 'OK';
    this.signIns.inc({ flow, result: step });
  }

  /** A lockout answer ("Password attempts exceeded"). */
  lockout(): void {
    this.lockouts.inc({});
  }

  /** A finished authentication event (domain/threat/events.ts); labels only from known values. */
  authEvent(type: string, response: string, decision: unknown): void {
    const known = (v: unknown, set: string[]) => (typeof v === 'string' && set.includes(v) ? v : 'other');
    this.authEvents.inc({
      type: known(type, ['SignIn', 'SignUp', 'ForgotPassword', 'PasswordChange', 'ResendCode']),
      response: known(response, ['Pass', 'Fail']),
      decision: known(decision ?? 'NoRisk', ['NoRisk', 'AccountTakeover', 'Block']),
    });
  }

  message(channel: string, kind: string, ok: boolean): void {
    this.messages.inc({ channel, kind, result: ok ? 'sent' : 'failed' });
  }

  invocation(trigger: string, ok: boolean, seconds: number): void {
    this.invocations.inc({ trigger, result: ok ? 'ok' : 'failed' });
    observe(this.invocationLatency.series({ trigger }, trigger), seconds);
  }

  /** Wraps a database so every statement and transaction is timed. */
  timed(db: Database): Database {
    const h = this.storeLatency;
    const time = (series: Series, method: (...args: unknown[]) => Promise<unknown>, args: unknown[]): Promise<unknown> => {
      const started = performance.now();
      let running: Promise<unknown>;
      try {
        running = method.apply(db, args);
      } catch (err) {
        running = Promise.reject(err);
      }
      return running.then(
        (v) => {
          observe(series, (performance.now() - started) / 1000);
          return v;
        },
        (err) => {
          observe(series, (performance.now() - started) / 1000);
          throw err;
        },
      );
    };
    const pool = (db as { poolState?: () => { total: number; idle: number; waiting: number } }).poolState;
    if (pool) {
      this.all.push(
        exposed('tobira_store_pool_connections', 'PostgreSQL pool connections by state (total, idle, waiting clients).', 'gauge', () => {
          const s = pool.call(db);
          return (['total', 'idle', 'waiting'] as const).map((state) => ({ labels: { state }, value: s[state] }));
        }),
      );
    }
    const kinds: Record<string, string> = { all: 'read', get: 'read', run: 'write', transaction: 'transaction' };
    // One wrapper per method, made at its first use rather than at every call.
    const wrapped = new Map<string | symbol, unknown>();
    return new Proxy(db, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        let w = wrapped.get(prop);
        if (!w) {
          const kind = typeof prop === 'string' && Object.hasOwn(kinds, prop) ? kinds[prop] : undefined;
          // The series is looked up at the first call, so /metrics lists only the kinds seen.
          let series: Series | undefined;
          w = kind ? (...args: unknown[]) => time((series ??= h.series({ kind }, kind)), value, args) : value.bind(target);
          wrapped.set(prop, w);
        }
        return w;
      },
    });
  }
}

/** A metric as prom-client's registry takes it (registerMetric): its name, and its values at a scrape. */
interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Values }>;
}

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/** A metric whose values `values` gives at each scrape. */
function exposed(name: string, help: string, type: 'counter' | 'gauge', values: () => Values): Exposed {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) };
}

/** A counter by label values, counted here (prom-client's Counter hashes its labels at every inc). */
class Tally implements Exposed {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** A counter without labels, written (at 0) before its first count, as prom-client's is. */
    private readonly unlabelled = false,
  ) {}

  inc(labels: Record<string, string>): void {
    const key = JSON.stringify(labels);
    const s = this.all.get(key);
    if (s) s.value++;
    else this.all.set(key, { labels, value: 1 });
  }

  async get() {
    const values = this.unlabelled && this.all.size === 0 ? [{ labels: {}, value: 0 }] : [...this.all.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface OutcomeSeries {
  labels: { service: string; operation: string; outcome: string };
  /** Requests since the last scrape. */
  count: number;
  /** The latency series of the service and operation. */
  latency: Series;
}

/** One label set of a Buckets histogram: observations per bucket (not cumulative), their sum and count. */
interface Series {
  labels: Record<string, string>;
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
}

function observe(s: Series, value: number): void {
  let i = 0;
  while (i < s.bounds.length && value > s.bounds[i]) i++;
  if (i < s.counts.length) s.counts[i]++;
  s.sum += value;
  s.count++;
}

/**
 * A histogram exposed as prom-client's Histogram is, whose callers hold their label set's series:
 * prom-client hashes the labels at every observation, which at one per request and one per
 * store statement came to a few percent of a simple read's time.
 */
class Buckets implements Exposed {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: number[],
  ) {}

  /** The series of these labels, made at first use; `key` names it when the caller has a string at hand. */
  series(labels: Record<string, string>, key = JSON.stringify(labels)): Series {
    let s = this.all.get(key);
    if (!s) {
      s = { labels, bounds: this.bounds, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.all.set(key, s);
    }
    return s;
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.all.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.all.clear();
  }
}

const enumOf = (shape: string): string[] => ((SHAPES as Record<string, { enum?: string[] }>)[shape]?.enum ?? []);
const FLOWS = new Set([...enumOf('AuthFlowType'), ...enumOf('ChallengeNameType')]);
const SIGN_IN_OPERATIONS = new Set(['InitiateAuth', 'AdminInitiateAuth', 'RespondToAuthChallenge', 'AdminRespondToAuthChallenge']);

/**
 * The metrics of the whole `tobira start --workers N` server, from the worker that took the
 * scrape: the primary asks every worker for its registry's metrics, and they are combined as
 * prom-client's AggregatorRegistry does. Counters and histograms are summed; so are gauges
 * (memory, handles, open file descriptors, PostgreSQL pool connections: each worker has its
 * own), except those prom-client marks otherwise (event-loop lag averaged, its min the least and
 * max the greatest, the version the first worker's, the start time left out). A worker that
 * does not answer within a second is left out, which tobira_workers_reporting shows. The counters
 * and histograms of workers that ended (and were replaced) are added as they last reported them,
 * so that no sum goes back.
 */
async function workersMetrics(app: App): Promise<string> {
  const { AggregatorRegistry, Gauge } = await import('prom-client');
  const gathered = await gatherWorkersMetrics();
  // The primary did not answer (it is stopping): this worker's own.
  const reports = (gathered?.reports ?? [await (await app.metrics.registry()).getMetricsAsJSON()]) as Parameters<typeof AggregatorRegistry.aggregate>[0];
  // The counters and histograms of workers that ended count on (cli/workers.ts).
  const retired = (gathered?.retired ? [gathered.retired] : []) as typeof reports;
  const combined = AggregatorRegistry.aggregate([...reports, ...retired]);
  if (gathered) {
    new Gauge({ name: 'tobira_workers', help: 'Worker processes asked for their metrics at this scrape (tobira start --workers N).', registers: [combined] }).set(gathered.asked);
  }
  new Gauge({
    name: 'tobira_workers_reporting',
    help: 'Worker processes whose metrics this scrape sums: one that did not answer within a second is left out.',
    registers: [combined],
  }).set(reports.length);
  return combined.metrics();
}

/**
 * GET /metrics for Prometheus, on the operator's terms (http/operator-access.ts: this machine, or
 * the admin token as a Bearer token from elsewhere); under `tobira start --workers N`, summed
 * over the workers (above). /ready answers 200 once the store answers a query and 503 while it
 * does not (orchestrators' readiness probe; /health only says the process is up); it stays the
 * answering worker's: the workers share the store, and a worker that cannot reach it is one a
 * connection may land on.
 */
registerRoutes((server, app: App) => {
  const cluster = inTobiraCluster();
  if (cluster) answerMetricsRequests(async () => (await app.metrics.registry()).getMetricsAsJSON());
  server.get('/metrics', async (req, reply) => {
    if (!isOperator(app, req)) return reply.code(403).header('content-type', 'text/plain').send('Forbidden');
    const registry = await app.metrics.registry();
    const text = cluster ? await workersMetrics(app) : await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });

  server.get('/ready', async (_req, reply) => {
    try {
      await app.store.db.get('SELECT 1 AS ok');
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'the store does not answer' });
    }
  });
});
