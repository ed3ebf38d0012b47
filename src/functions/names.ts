/** A function as named by a caller: its bare name, and what the ARN around it said. */
export interface FunctionName {
  /** `validate-signup`: what a functions directory file and an Invoke API path are named after. */
  name: string;
  /** Version or alias (`:1`, `:$LATEST`, `:live`), when one was given. */
  qualifier?: string;
  region?: string;
  accountId?: string;
  /** The whole ARN when the caller gave one. */
  arn?: string;
}

// Lambda's own rules: names of 1 to 64 letters, digits, - and _; qualifiers $LATEST, a version
// number or an alias. Cognito's ArnType accepts any digits for the account (seed 003 writes a
// nine-digit one), so the account is not held to twelve here.
const NAME = '[A-Za-z0-9_-]{1,64}';
const QUALIFIER = '\\$LATEST|[A-Za-z0-9_-]{1,128}';
const ARN = new RegExp(`^(arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\\d+):function:(${NAME}))(?::(${QUALIFIER}))?$`);
const BARE = new RegExp(`^(${NAME})(?::(${QUALIFIER}))?$`);

/** Reads `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]` or `<name>[:qualifier]`; undefined for anything else. */
export function parseFunctionName(nameOrArn: string): FunctionName | undefined {
  const arn = ARN.exec(nameOrArn);
  if (arn) return { name: arn[4], qualifier: arn[5], region: arn[2], accountId: arn[3], arn: nameOrArn };
  const bare = BARE.exec(nameOrArn);
  if (bare) return { name: bare[1], qualifier: bare[2] };
  return undefined;
}
