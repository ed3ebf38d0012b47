/**
 * The public types of `import { startTobira } from 'tobira'` (src/index.ts). Self-contained, so
 * the package's declarations are this file alone (scripts/build.mjs).
 */

/** The flags of `tobira start` a test suite most often sets, by their configuration names. */
export interface TobiraSettings {
  /** `--issuer aws`: tokens carry https://cognito-idp.<region>.amazonaws.com/<poolId> as iss. */
  issuerMode?: 'tobira' | 'aws';
  /** `--public-url`: the URL clients reach the server at (the tokens' issuer). */
  publicUrl?: string | null;
  /** `--hosted-ui-base-domain`. */
  hostedUiBaseDomain?: string | null;
  /** `--strict-auth-flows`. */
  strictAuthFlows?: boolean;
  /** `--enforce-tiers`. */
  enforceTiers?: boolean;
  /** `--functions-dir`: Lambda triggers as handler files. */
  functionsDir?: string;
  /** `--config`: the JSON file mapping function names to handlers. */
  configFile?: string;
  /** `--lambda-endpoint`. */
  lambdaEndpoint?: string;
}

export interface TobiraOptions {
  /** The default region (the SDK's region decides per request); default us-east-1. */
  region?: string;
  /** Port to listen on; default 0, a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** silent (default), error, warn, info or debug: Tobira's own log, on stdout. */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /**
   * A declarative configuration file (JSON or YAML, cognito-local's or a CloudFormation template),
   * as `tobira start --config` takes it: its pools, clients, users ... exist when startTobira
   * resolves, with the ids it gives.
   */
  config?: string;
  /** Other server settings, as `tobira start`'s flags set them (see the README's configuration table). */
  settings?: TobiraSettings;
}

/** One email or SMS Tobira sent, as the outbox keeps it. */
export interface SentMessage {
  id: string;
  poolId: string | null;
  channel: 'EMAIL' | 'SMS';
  destination: string;
  subject: string | null;
  body: string;
  /** The code the message carries (verification, MFA, temporary password), when it has one. */
  code?: string;
  createdAt: string;
  [more: string]: unknown;
}

export interface Tobira {
  /** Where clients point: the SDK's `endpoint`, the CLI's `--endpoint-url`. */
  url: string;
  region: string;
  /** Messages sent, oldest first; filtered by destination (case-insensitive) or pool. */
  outbox(filter?: { to?: string; poolId?: string }): Promise<SentMessage[]>;
  /** The code in the newest message to `address` (a six-digit code, or the temporary password), or undefined. */
  codeFor(address: string): Promise<string | undefined>;
  /** Forgets everything (pools, users, identity pools, messages ...), as a fresh start does. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

