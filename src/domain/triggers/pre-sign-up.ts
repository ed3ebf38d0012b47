import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { UserPool } from '../types.ts';
import { clientMetadataOf, invalidLambdaResponse, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * PreSignUp: runs before a new user is saved (SignUp: PreSignUp_SignUp; AdminCreateUser:
 * PreSignUp_AdminCreateUser; federation: PreSignUp_ExternalProvider). A function that throws
 * refuses the sign-up with its message (UserLambdaValidationException) and nothing is saved, as
 * Cognito creates the user only after the trigger answers (developer guide, "Pre sign-up Lambda
 * trigger": "Immediately before Amazon Cognito completes creation of a new ... user").
 */
export type PreSignUpSource = 'PreSignUp_SignUp' | 'PreSignUp_AdminCreateUser' | 'PreSignUp_ExternalProvider';

/** ValidationData (a list of Name/Value) as the map the PreSignUp event carries. */
export const validationDataMap = (list: { Name: string; Value?: string }[] | undefined) =>
  list?.length ? Object.fromEntries(list.map((a) => [a.Name, a.Value ?? ''])) : undefined;

export interface PreSignUpDecision {
  autoConfirmUser: boolean;
  autoVerifyEmail: boolean;
  autoVerifyPhone: boolean;
}

export async function preSignUp(
  app: App,
  pool: UserPool,
  a: {
    source: PreSignUpSource;
    userName: string;
    clientId?: string;
    /** The attributes given, as strings (no sub, no status: the user does not exist yet). */
    userAttributes: Record<string, string>;
    validationData?: Record<string, string>;
    clientMetadata?: Record<string, string>;
  },
): Promise<PreSignUpDecision | undefined> {
  const fn = triggerFunction(pool, 'PreSignUp');
  if (!fn) return undefined;
  const event = triggerEvent(pool, {
    triggerSource: a.source,
    userName: a.userName,
    clientId: a.clientId,
    request: {
      userAttributes: a.userAttributes,
      // Cognito sends null for a validationData the client left out (Powertools' test events).
      validationData: clientMetadataOf(a.validationData) ?? null,
      ...(clientMetadataOf(a.clientMetadata) ? { clientMetadata: a.clientMetadata } : {}),
    },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  });
  const answer = await invokeTrigger(app, 'PreSignUp', fn, event);
  const r = (answer.response ?? {}) as Record<string, unknown>;
  const flag = (name: string): boolean => {
    const v = r[name];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw invalidLambdaResponse();
    return v;
  };
  const decision = { autoConfirmUser: flag('autoConfirmUser'), autoVerifyEmail: flag('autoVerifyEmail'), autoVerifyPhone: flag('autoVerifyPhone') };
  // Verifying needs confirming: Cognito answers "Phone or email cannot be auto verified, when user
  // is not being auto confirmed." (observed: aws/aws-sdk-java#1049; the exception's name is not
  // shown there, InvalidParameterException is Tobira's choice). And the attribute must be present
  // (developer guide on autoVerifyEmail: "Otherwise an error will occur and the user will not be
  // able to complete sign-up"; that error's words are Tobira's).
  if (a.source !== 'PreSignUp_AdminCreateUser') {
    if ((decision.autoVerifyEmail || decision.autoVerifyPhone) && !decision.autoConfirmUser) {
      throw invalidParameter('Phone or email cannot be auto verified, when user is not being auto confirmed.');
    }
    if (decision.autoVerifyEmail && !a.userAttributes.email) throw invalidParameter('Cannot auto verify email without an email attribute.');
    if (decision.autoVerifyPhone && !a.userAttributes.phone_number) throw invalidParameter('Cannot auto verify phone_number without a phone_number attribute.');
  }
  return decision;
}
