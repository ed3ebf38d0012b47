/**
 * Why an invocation of a user's function failed. The triggers map these to Cognito's errors
 * (a function that threw -> UserLambdaValidationException "<Trigger> failed with error
 * <message>."; a timeout, an unreachable or missing function -> UnexpectedLambdaException; an
 * answer that is not JSON -> InvalidLambdaResponseException); the gateway to 502 / 504.
 */
export type FunctionFailureKind = 'threw' | 'timeout' | 'unreachable' | 'not-found' | 'invalid-answer';

export abstract class FunctionInvocationError extends Error {
  abstract readonly kind: FunctionFailureKind;
  /** The name or ARN the caller asked for. */
  readonly functionName: string;

  constructor(functionName: string, message: string) {
    super(message);
    this.functionName = functionName;
    this.name = new.target.name;
  }
}

/**
 * The function threw, rejected, called back with an error, or could not be loaded: Lambda's
 * `{"errorType", "errorMessage"}` (also the Invoke API's FunctionError answers). `message` is the
 * function's own errorMessage, which Cognito shows to the client.
 */
export class FunctionFailed extends FunctionInvocationError {
  readonly kind = 'threw';
  constructor(
    functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(functionName, errorMessage);
  }
}

/** No answer within the caller's timeout; the environment it ran in was reset. */
export class FunctionTimedOut extends FunctionInvocationError {
  readonly kind = 'timeout';
  constructor(functionName: string, readonly timeoutMs: number) {
    super(functionName, `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/**
 * The function could not be reached or its environment died under it (process.exit, an uncaught
 * exception after it answered, a Python process that ended, an Invoke API server that refused
 * the connection or answered with an error of its own).
 */
export class FunctionUnreachable extends FunctionInvocationError {
  readonly kind = 'unreachable';
}

/** The name or ARN resolves to nothing: no handler file, no mapping, no Invoke API endpoint knows it. */
export class FunctionNotFound extends FunctionInvocationError {
  readonly kind = 'not-found';
  constructor(functionName: string, detail?: string) {
    super(functionName, `Function not found: ${functionName}${detail ? ` (${detail})` : ''}`);
  }
}

/** The function answered with something that is not JSON (a function value, a cycle, a bigint, bytes that do not parse). */
export class FunctionInvalidAnswer extends FunctionInvocationError {
  readonly kind = 'invalid-answer';
}
