import { randomUUID } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import { FunctionInvocationError } from '../../functions/errors.ts';
import { lambdaConfigFunctions } from '../../functions/registry.ts';
import type { User, UserPool } from '../types.ts';

/** The LambdaConfig keys of a user pool, each naming one trigger. */
export type TriggerName =
  | 'PreSignUp'
  | 'CustomMessage'
  | 'PostConfirmation'
  | 'PreAuthentication'
  | 'PostAuthentication'
  | 'DefineAuthChallenge'
  | 'CreateAuthChallenge'
  | 'VerifyAuthChallengeResponse'
  | 'PreTokenGeneration'
  | 'UserMigration'
  | 'CustomSMSSender'
  | 'CustomEmailSender';

/**
 * The function a pool names for a trigger, or undefined. PreTokenGeneration may be given twice
 * (the plain ARN, and PreTokenGenerationConfig with its LambdaVersion); the config wins.
 */
export function triggerFunction(pool: UserPool, trigger: TriggerName): string | undefined {
  const config = pool.config.LambdaConfig as Record<string, unknown> | undefined;
  if (!config) return undefined;
  if (trigger === 'PreTokenGeneration') {
    const v2 = (config.PreTokenGenerationConfig as { LambdaArn?: string } | undefined)?.LambdaArn;
    if (v2) return v2;
  }
  return lambdaConfigFunctions(config).find((f) => f.trigger === trigger)?.arn;
}

/** The envelope every user-pool trigger event shares (Cognito developer guide, "Lambda trigger event common parameters"). */
export interface TriggerEvent<Req, Res> {
  version: string;
  triggerSource: string;
  region: string;
  userPoolId: string;
  userName: string | null;
  callerContext: { awsSdkVersion: string; clientId: string };
  request: Req;
  response: Res;
}

export function triggerEvent<Req, Res>(
  pool: UserPool,
  args: { triggerSource: string; userName: string | null; clientId?: string | null; request: Req; response: Res; version?: string },
): TriggerEvent<Req, Res> {
  return {
    version: args.version ?? '1',
    triggerSource: args.triggerSource,
    region: pool.region,
    userPoolId: pool.id,
    userName: args.userName,
    // Cognito sends CLIENT_ID_NOT_APPLICABLE where no app client is involved (AdminCreateUser ...).
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: args.clientId ?? 'CLIENT_ID_NOT_APPLICABLE' },
    request: args.request,
    response: args.response,
  };
}

/**
 * Runs a trigger's function with its event and returns the event it answers. Failures become
 * Cognito's errors: a function that throws is UserLambdaValidationException "<Trigger> failed
 * with error <message>." (its message is what the client shows, seed 003's validate-signup); a
 * timeout, a crash or a missing function is UnexpectedLambdaException "<Trigger> invocation
 * failed due to error <reason>."; an answer that is not an object is InvalidLambdaResponseException
 * "Unrecognizable lambda output". Each trigger checks its own answer's fields beyond that.
 */
export async function invokeTrigger<E extends TriggerEvent<unknown, unknown>>(app: App, trigger: TriggerName, fn: string, event: E): Promise<E> {
  let answer: unknown;
  try {
    answer = await app.functions.invoke(fn, event, { trigger });
  } catch (err) {
    if (!(err instanceof FunctionInvocationError)) throw err;
    if (err.kind === 'threw') throw new CognitoError('UserLambdaValidationException', `${trigger} failed with error ${(err as Error).message}.`);
    if (err.kind === 'invalid-answer') throw invalidLambdaResponse();
    const exited = runtimeExit(err.message);
    if (err.kind === 'unreachable' && exited) {
      // On Lambda a runtime that exits is a function error (Runtime.ExitError), which Cognito
      // reports as the function's own: "DefineAuthChallenge failed with error RequestId: <id>
      // Error: Runtime exited with error: exit status 129." (aws-amplify/amplify-js#9127).
      throw new CognitoError('UserLambdaValidationException', `${trigger} failed with error RequestId: ${randomUUID()} Error: Runtime exited with error: ${exited}.`);
    }
    const reason = err.kind === 'timeout' ? 'Socket timeout while invoking Lambda function' : err.kind === 'not-found' ? 'ResourceNotFoundException' : 'Lambda function unreachable';
    throw new CognitoError('UnexpectedLambdaException', `${trigger} invocation failed due to error ${reason}.`);
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw invalidLambdaResponse();
  const out = answer as E;
  if (out.response !== undefined && out.response !== null && (typeof out.response !== 'object' || Array.isArray(out.response))) {
    throw invalidLambdaResponse();
  }
  return out;
}

/** `exit status 7` / `signal: killed` when a local environment's process or worker ended under the function. */
function runtimeExit(message: string): string | undefined {
  const code = /exited with (?:code )?(\d+)/.exec(message);
  if (code) return `exit status ${code[1]}`;
  const signal = /exited with (SIG[A-Z]+)/.exec(message);
  if (signal) return `signal: ${signal[1] === 'SIGKILL' ? 'killed' : signal[1].toLowerCase()}`;
  return undefined;
}

export const invalidLambdaResponse = () => new CognitoError('InvalidLambdaResponseException', 'Unrecognizable lambda output');

/**
 * A user's attributes as trigger events carry them: every value a string, `sub` included, and
 * `cognito:user_status` beside them (cognito-protocols.md 7.1; developer-only `dev:` attributes
 * stay out, as they stay out of tokens).
 */
export function eventUserAttributes(user: User): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(user.attributes)) if (!name.startsWith('dev:')) out[name] = value;
  out.sub = user.sub;
  out['cognito:user_status'] = user.status;
  return out;
}

/** ClientMetadata as events carry it: left out when the caller sent none. */
export const clientMetadataOf = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? m : undefined);
