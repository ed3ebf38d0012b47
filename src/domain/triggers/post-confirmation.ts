import type { App } from '../../app.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * PostConfirmation: runs after a confirmation has been committed (ConfirmSignUp,
 * AdminConfirmSignUp and a PreSignUp auto-confirmation: PostConfirmation_ConfirmSignUp;
 * ConfirmForgotPassword: PostConfirmation_ConfirmForgotPassword). Its answer changes nothing.
 *
 * A function that fails makes the call fail (UserLambdaValidationException "PostConfirmation
 * failed with error ...") but rolls nothing back: the user stays CONFIRMED (or keeps the new
 * password). Cognito invokes this trigger "after a new user is confirmed" (developer guide,
 * "Post confirmation Lambda trigger"), and the failure is reported with the user already
 * confirmed: in dabit3/full-stack-serverless-code#108 a PostConfirmation that threw
 * "callback is not a function" surfaced as UserLambdaValidationException on confirmation, and in
 * keboola/developer-portal#186/#191 the retried confirmation answers "User cannot confirm because
 * user status is not UNCONFIRMED." So Tobira commits first, then invokes.
 */
export type PostConfirmationSource = 'PostConfirmation_ConfirmSignUp' | 'PostConfirmation_ConfirmForgotPassword';

export async function postConfirmation(
  app: App,
  pool: UserPool,
  a: { source: PostConfirmationSource; user: User; clientId?: string; clientMetadata?: Record<string, string> },
): Promise<void> {
  const fn = triggerFunction(pool, 'PostConfirmation');
  if (!fn) return;
  const event = triggerEvent(pool, {
    triggerSource: a.source,
    userName: a.user.username,
    clientId: a.clientId,
    request: {
      userAttributes: eventUserAttributes(a.user),
      ...(clientMetadataOf(a.clientMetadata) ? { clientMetadata: a.clientMetadata } : {}),
    },
    response: {},
  });
  await invokeTrigger(app, 'PostConfirmation', fn, event);
}
