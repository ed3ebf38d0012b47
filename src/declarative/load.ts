import type { App } from '../app.ts';
import { applyDeclared, type ApplyResult } from './apply.ts';
import { fromCloudFormation, isCloudFormation } from './from-cloudformation.ts';
import { fromCognitoLocal, isCognitoLocal } from './from-cognito-local.ts';
import { parseDeclared, readDocument, type DeclaredConfig } from './schema.ts';

/**
 * Reads a config file in whichever of the accepted formats it is: Tobira's (schema.ts), a
 * CloudFormation template (its AWS::Cognito::* resources) or cognito-local's config.json / pool file.
 */
export function loadDeclared(file: string, ctx: { region: string; accountId: string }): DeclaredConfig {
  const doc = readDocument(file);
  if (isCloudFormation(doc)) return fromCloudFormation(doc as Record<string, unknown>, ctx);
  if (isCognitoLocal(doc)) return fromCognitoLocal(file, doc as Record<string, unknown>, ctx);
  return parseDeclared(doc, file);
}

/**
 * At start (tobira.ts): applies the `--config` file's pools and identity pools, if it declares
 * any (a file with only `functions` changes nothing here). A failure stops the start.
 */
export async function applyConfigFile(app: App, file: string, opts: { prune?: boolean } = {}): Promise<ApplyResult | undefined> {
  const declared = loadDeclared(file, { region: app.config.region, accountId: app.config.accountId });
  if (declared.userPools === undefined && declared.identityPools === undefined) {
    if (opts.prune) app.log.warn(`--prune ignored: ${file} declares no userPools nor identityPools`);
    return undefined;
  }
  return applyDeclared(app, declared, opts);
}
