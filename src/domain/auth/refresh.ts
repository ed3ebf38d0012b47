import type { App } from '../../app.ts';
import type { AppClient, UserPool } from '../types.ts';
import type { AuthOutcome } from './result.ts';

export async function refreshSignIn(_app: App, _pool: UserPool, _client: AppClient, _params: Record<string, string>): Promise<AuthOutcome> {
  throw new Error('not yet');
}
