import type { App } from '../../app.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type {
  AccountTakeoverRiskConfigurationType,
  AdvancedSecurityModeType,
  CompromisedCredentialsRiskConfigurationType,
  RiskConfigurationType,
  RiskExceptionConfigurationType,
  SetRiskConfigurationRequest,
} from '../../generated/cognito-idp.ts';
import { getPoolClient } from '../pools/app-clients.ts';
import { getPool } from '../pools/user-pools.ts';
import type { UserPool } from '../types.ts';
import { parseCidr } from './cidr.ts';

/** The three parts of SetRiskConfiguration, as stored. */
export interface RiskConfig {
  CompromisedCredentialsRiskConfiguration?: CompromisedCredentialsRiskConfigurationType;
  AccountTakeoverRiskConfiguration?: AccountTakeoverRiskConfigurationType;
  RiskExceptionConfiguration?: RiskExceptionConfigurationType;
}

/** The pool's UserPoolAddOns.AdvancedSecurityMode (CreateUserPool / UpdateUserPool store it); OFF when unset. */
export const securityMode = (pool: UserPool): AdvancedSecurityModeType => pool.config.UserPoolAddOns?.AdvancedSecurityMode ?? 'OFF';

/**
 * The operations that read threat protection's records refuse a pool without it (the model lists
 * UserPoolAddOnNotEnabledException for them; the developer guide: user activity is only recorded
 * with threat protection active).
 */
export function requireAddOn(pool: UserPool): void {
  if (securityMode(pool) === 'OFF') {
    // guessed: the text of this exception has not been seen.
    throw new CognitoError('UserPoolAddOnNotEnabledException', 'User pool add-ons are not enabled for this user pool.');
  }
}

/** The client's own configuration when it has one, else the pool's (SetRiskConfiguration without ClientId). */
export async function effectiveRiskConfig(app: App, poolId: string, clientId: string): Promise<RiskConfig> {
  return ((await app.store.riskConfigurations.effective(poolId, clientId))?.config ?? {}) as RiskConfig;
}

/** The CIDR lists must parse: a blocked range that silently matches nothing would be worse than a refusal. */
function checkRanges(name: string, list: string[] | undefined): void {
  for (const r of list ?? []) {
    // guessed: Cognito's text for a malformed range has not been seen.
    if (!parseCidr(r)) throw invalidParameter(`${name} contains an invalid IP range in CIDR notation: ${r}`);
  }
}

/** SetRiskConfiguration: replaces the pool's (or the client's) configuration with the request's parts. */
export async function setRiskConfiguration(app: App, input: SetRiskConfigurationRequest): Promise<RiskConfigurationType> {
  const pool = await getPool(app.store, input.UserPoolId);
  if (input.ClientId) await getPoolClient(app.store, pool.id, input.ClientId);
  checkRanges('BlockedIPRangeList', input.RiskExceptionConfiguration?.BlockedIPRangeList);
  checkRanges('SkippedIPRangeList', input.RiskExceptionConfiguration?.SkippedIPRangeList);
  const config: RiskConfig = {};
  if (input.CompromisedCredentialsRiskConfiguration) config.CompromisedCredentialsRiskConfiguration = input.CompromisedCredentialsRiskConfiguration;
  if (input.AccountTakeoverRiskConfiguration) config.AccountTakeoverRiskConfiguration = input.AccountTakeoverRiskConfiguration;
  if (input.RiskExceptionConfiguration) config.RiskExceptionConfiguration = input.RiskExceptionConfiguration;
  const now = app.clock.now();
  await app.store.tx((s) => s.riskConfigurations.put({ poolId: pool.id, clientId: input.ClientId ?? '', config: config as Record<string, unknown>, updatedAt: now }));
  return describe(pool.id, input.ClientId, config, now);
}

/**
 * DescribeRiskConfiguration: the client's own configuration, or the pool's one (which Cognito
 * reports with ClientId "ALL", as CloudFormation's UserPoolRiskConfigurationAttachment names it;
 * guessed for the API), or only the ids when nothing is set.
 */
export async function describeRiskConfiguration(app: App, poolId: string, clientId?: string): Promise<RiskConfigurationType> {
  const pool = await getPool(app.store, poolId);
  if (clientId) await getPoolClient(app.store, pool.id, clientId);
  const stored = clientId ? await app.store.riskConfigurations.effective(pool.id, clientId) : await app.store.riskConfigurations.get(pool.id, '');
  if (!stored) return { UserPoolId: pool.id, ...(clientId ? { ClientId: clientId } : {}) };
  return describe(pool.id, stored.clientId || undefined, stored.config as RiskConfig, stored.updatedAt);
}

function describe(poolId: string, clientId: string | undefined, config: RiskConfig, updatedAt: number): RiskConfigurationType {
  return { UserPoolId: poolId, ClientId: clientId ?? 'ALL', ...config, LastModifiedDate: updatedAt / 1000 };
}
