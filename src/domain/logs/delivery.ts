import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type { EventSourceName, LogConfigurationType, LogDeliveryConfigurationType, LogLevel } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import { getPool } from '../pools/user-pools.ts';
import { LogDestinations, write } from './destinations.ts';

/** What delivering a record needs; an App has it all, and so does the Messenger's factory. */
export interface LogEnv {
  store: Store;
  config: Config;
  log: Logger;
  clock: Clock;
}

/** SetLogDeliveryConfiguration: replaces the pool's log configurations (at most two, by the model). */
export async function setLogDeliveryConfiguration(
  env: { store: Store; clock: Clock; config: Config },
  poolId: string,
  configurations: LogConfigurationType[],
): Promise<LogDeliveryConfigurationType> {
  const pool = await getPool(env.store, poolId);
  const sources = new Set<EventSourceName>();
  for (const c of configurations) {
    const targets = [c.CloudWatchLogsConfiguration?.LogGroupArn, c.S3Configuration?.BucketArn, c.FirehoseConfiguration?.StreamArn].filter((a) => a);
    // guessed: Cognito's texts for these two refusals have not been seen.
    if (targets.length !== 1) throw invalidParameter(`A log configuration for ${c.EventSource} must name exactly one destination.`);
    if (sources.has(c.EventSource)) throw invalidParameter(`Only one log configuration per event source is allowed: ${c.EventSource}`);
    sources.add(c.EventSource);
    // User-activity export is a Plus feature ("To activate this setting, your user pool must be
    // on the Plus tier"); refused only under --enforce-tiers, as every tier rule (config.ts).
    if (c.EventSource === 'userAuthEvents' && env.config.enforceTiers && pool.config.UserPoolTier !== 'PLUS') {
      // guessed: Cognito's text for this refusal has not been seen.
      throw new CognitoError('FeatureUnavailableInTierException', 'Exporting user activity logs requires the PLUS user pool tier.');
    }
  }
  await env.store.tx((s) => s.logDelivery.put({ poolId: pool.id, logConfigurations: configurations as unknown as Record<string, unknown>[], updatedAt: env.clock.now() }));
  return { UserPoolId: pool.id, LogConfigurations: configurations };
}

/** GetLogDeliveryConfiguration: what was set, or an empty list. */
export async function getLogDeliveryConfiguration(store: Store, poolId: string): Promise<LogDeliveryConfigurationType> {
  const pool = await getPool(store, poolId);
  const stored = await store.logDelivery.get(pool.id);
  return { UserPoolId: pool.id, LogConfigurations: (stored?.logConfigurations ?? []) as unknown as LogConfigurationType[] };
}

const destinations = new WeakMap<Config, LogDestinations>();
const destinationsOf = (env: LogEnv) => {
  let d = destinations.get(env.config);
  if (!d) destinations.set(env.config, (d = new LogDestinations(env.config.configFile, env.config.dataDir, env.log)));
  return d;
};

/** The eventSource of exported records, as Cognito's examples write it. */
const RECORD_SOURCE: Record<EventSourceName, string> = { userNotification: 'USER_NOTIFICATION', userAuthEvents: 'USER_ACTIVITY' };

/**
 * Delivers one record of a pool's `source` to every configuration of that source whose level
 * lets it through (ERROR passes ERROR records only; INFO passes both), shaped as Cognito's
 * "Exporting logs from Amazon Cognito user pools" examples: eventTimestamp (epoch ms, a string),
 * eventSource, logLevel, message, logSourceId.userPoolId. Never throws: delivery is best effort.
 */
export async function deliverLog(env: LogEnv, poolId: string | null, source: EventSourceName, level: LogLevel, message: Record<string, unknown>): Promise<void> {
  if (!poolId) return;
  try {
    const stored = await env.store.logDelivery.get(poolId);
    if (!stored) return;
    const record = {
      eventTimestamp: String(env.clock.now()),
      eventSource: RECORD_SOURCE[source],
      logLevel: level,
      message,
      logSourceId: { userPoolId: poolId },
    };
    for (const c of stored.logConfigurations as unknown as LogConfigurationType[]) {
      if (c.EventSource !== source || (c.LogLevel === 'ERROR' && level !== 'ERROR')) continue;
      const arn = c.CloudWatchLogsConfiguration?.LogGroupArn ?? c.S3Configuration?.BucketArn ?? c.FirehoseConfiguration?.StreamArn;
      if (arn) await write(destinationsOf(env).resolve(arn), record, env.log);
    }
  } catch (err) {
    env.log.warn({ poolId, source, err: (err as Error).message }, 'log delivery failed');
  }
}
