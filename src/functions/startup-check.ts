import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { UserPool } from '../domain/types.ts';
import { lambdaConfigFunctions, type UserFunctions } from './registry.ts';

/**
 * At start-up: one warning line for every function a pool's LambdaConfig names that resolves to
 * nothing (or to a handler file that is not there), so a missing trigger shows before the first
 * sign-up fails on it. Returns how many were found.
 */
export async function warnUnresolvedFunctions(deps: { pools(): Promise<UserPool[]>; functions: UserFunctions; log: Logger }): Promise<number> {
  let unresolved = 0;
  for (const pool of await deps.pools()) {
    for (const { trigger, arn } of lambdaConfigFunctions(pool.config.LambdaConfig as Record<string, unknown> | undefined)) {
      const target = deps.functions.resolve(arn);
      const missingFile = target && target.kind !== 'invoke-api' && !existsSync(target.file) ? target.file : undefined;
      if (target && !missingFile) continue;
      unresolved++;
      deps.log.warn(
        { poolId: pool.id, trigger, function: arn, ...(missingFile ? { file: missingFile } : {}) },
        `pool ${pool.id}: the ${trigger} function ${arn} ${missingFile ? `maps to ${missingFile}, which does not exist` : 'resolves to nothing (no handler file, no mapping, no --lambda-endpoint)'}; its calls will fail`,
      );
    }
  }
  return unresolved;
}
