import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateResourceServerCommand, CreateUserPoolClientCommand, CreateUserPoolDomainCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { cognitoCall, lastJsonLine, runChild } from './helpers/https.ts';
import { needs, PYTHON } from './helpers/tools.ts';

/**
 * The README's client recipes ("HTTPS and client recipes"), each run as written against Tobira
 * over HTTPS: the files under test/fixtures/recipes are the README's code blocks (checked below),
 * run in child processes that trust Tobira's local CA the way the README says (NODE_EXTRA_CA_CERTS,
 * AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE). Inputs come from the environment: TOBIRA_URL, POOL_ID,
 * CLIENT_ID, USERNAME, PASSWORD, and the tokens a verifier checks.
 */

const RECIPES = join(import.meta.dirname, 'fixtures', 'recipes');
const README = join(import.meta.dirname, '..', 'README.md');
const USERNAME = 'rita';
const PASSWORD = 'Recipe#Pass1';

describe('client recipes over HTTPS', () => {
  let dir: string;
  /** A plain HTTP server on the same store, to set pools up with the suite's SDK helpers. */
  let setup: Running;
  /** Issuer <url>/<poolId>. */
  let tobira: Running;
  /** --issuer aws: https://cognito-idp.<region>.amazonaws.com/<poolId>. */
  let awsIssuer: Running;
  let ca: string;
  let caFile: string;
  let poolId: string;
  let clientId: string;
  /** A confidential client with the client_credentials grant of scope recipes/read. */
  let m2m: { id: string; secret: string };

  before(async () => {
    // One data directory: the three servers share the store and the local CA made in <dir>/ca.
    dir = mkdtempSync(join(tmpdir(), 'tobira-recipes-'));
    setup = await startTestServer({ dataDir: dir });
    tobira = await startTestServer({ dataDir: dir, https: true });
    awsIssuer = await startTestServer({ dataDir: dir, https: true, issuerMode: 'aws' });
    caFile = join(dir, 'ca', 'ca.crt');
    ca = readFileSync(caFile, 'utf8');
    ({ poolId, clientId } = await poolWithClient(setup.url));
    await userWithPassword(setup.url, poolId, USERNAME, PASSWORD);
    // A domain, so that the discovery document's OAuth endpoints are served.
    const sdk = idpClient(setup.url);
    await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: `recipes${Date.now().toString(36)}` }));
    await sdk.send(new CreateResourceServerCommand({ UserPoolId: poolId, Identifier: 'recipes', Name: 'recipes', Scopes: [{ ScopeName: 'read', ScopeDescription: 'read' }] }));
    const c = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'm2m',
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: ['recipes/read'],
      }),
    );
    m2m = { id: c.UserPoolClient!.ClientId!, secret: c.UserPoolClient!.ClientSecret! };
  });
  after(async () => {
    await Promise.all([setup?.close(), tobira?.close(), awsIssuer?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (server: Running, extra: Record<string, string> = {}) => ({
    NODE_EXTRA_CA_CERTS: caFile,
    AWS_CA_BUNDLE: caFile,
    REQUESTS_CA_BUNDLE: caFile,
    AWS_ACCESS_KEY_ID: 'AKIDTOBIRATEST',
    AWS_SECRET_ACCESS_KEY: 'tobira-test-secret',
    AWS_CONFIG_FILE: '/nonexistent/tobira-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/tobira-credentials',
    TOBIRA_URL: server.url,
    POOL_ID: poolId,
    CLIENT_ID: clientId,
    USERNAME,
    PASSWORD,
    ...extra,
  });
  const tokensFrom = async (server: Running) =>
    (await cognitoCall(server.url, ca, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME, PASSWORD } })).AuthenticationResult;
  const node = async (recipe: string, server: Running, extra?: Record<string, string>) => {
    const r = await runChild(process.execPath, [join(RECIPES, recipe)], env(server, extra));
    assert.equal(r.code, 0, `${recipe} failed:\n${r.stdout}\n${r.stderr}`);
    return lastJsonLine(r);
  };
  const python = async (recipe: string, server: Running) => {
    const r = await runChild(PYTHON, [join(RECIPES, recipe)], env(server));
    assert.equal(r.code, 0, `${recipe} failed:\n${r.stdout}\n${r.stderr}`);
    return lastJsonLine(r);
  };

  test('the servers speak HTTPS only with the CA trusted: a child without NODE_EXTRA_CA_CERTS is refused', async () => {
    assert.match(tobira.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(tobira.app.publicUrl(), tobira.url);
    const r = await runChild(process.execPath, [join(RECIPES, 'sdk-v3.mjs')], { ...env(tobira), NODE_EXTRA_CA_CERTS: '' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /certificate|self.signed|UNABLE_TO_VERIFY|SELF_SIGNED/i);
  });

  test('Amplify v6: userPoolEndpoint added to the parsed amplify_outputs, SRP sign-in', async () => {
    assert.deepEqual(await node('amplify.mjs', tobira), { isSignedIn: true, username: USERNAME });
  });

  test('amazon-cognito-identity-js: CognitoUserPool endpoint, SRP sign-in', async () => {
    assert.deepEqual(await node('identity-js.mjs', tobira), { username: USERNAME });
  });

  test('JS SDK v3: endpoint; InitiateAuth and GetUser', async () => {
    assert.deepEqual(await node('sdk-v3.mjs', tobira), { username: USERNAME });
  });

  test('boto3: endpoint_url with AWS_CA_BUNDLE', needs('boto3'), async () => {
    assert.deepEqual(await python('with-boto3.py', tobira), { username: USERNAME });
  });

  test('pycognito: boto3_client_kwargs, --issuer aws, Tobira\'s JWKS handed over', needs('pycognito'), async () => {
    assert.deepEqual(await python('with-pycognito.py', awsIssuer), { username: USERNAME });
  });

  test("aws-jwt-verify: JwtRsaVerifier fetches Tobira's JWKS over https", async () => {
    const { AccessToken } = await tokensFrom(tobira);
    assert.deepEqual(await node('aws-jwt-verify.mjs', tobira, { ACCESS_TOKEN: AccessToken }), { username: USERNAME });
  });

  test("aws-jwt-verify: CognitoJwtVerifier with --issuer aws and cacheJwks (no custom fetcher)", async () => {
    const { AccessToken } = await tokensFrom(awsIssuer);
    assert.deepEqual(await node('aws-jwt-verify-cognito.mjs', awsIssuer, { ACCESS_TOKEN: AccessToken }), {
      username: USERNAME,
      iss: `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`,
    });
  });

  test('jose: createRemoteJWKSet and jwtVerify', async () => {
    const { IdToken } = await tokensFrom(tobira);
    assert.deepEqual(await node('jose.mjs', tobira, { ID_TOKEN: IdToken }), { username: USERNAME, token_use: 'id' });
  });

  test("openid-client: discovery on the pool's issuer, then the client_credentials grant", async () => {
    assert.deepEqual(await node('openid-client.mjs', tobira, { M2M_CLIENT_ID: m2m.id, M2M_CLIENT_SECRET: m2m.secret }), {
      issuer: `${tobira.url}/${poolId}`,
      token_type: 'bearer',
      scope: 'recipes/read',
    });
  });
});

describe("the README's recipes are the tested files", () => {
  test('each file under test/fixtures/recipes is shown once, byte for byte, after its <!-- recipe: ... --> marker', () => {
    const readme = readFileSync(README, 'utf8');
    const shown = new Map<string, string[]>();
    for (const m of readme.matchAll(/<!-- recipe: test\/fixtures\/recipes\/([\w.-]+) -->\n```\w*\n([\s\S]*?)```\n/g)) {
      shown.set(m[1]!, [...(shown.get(m[1]!) ?? []), m[2]!]);
    }
    const files = readdirSync(RECIPES).sort();
    assert.deepEqual([...shown.keys()].sort(), files, 'every recipe file has one README block, and every block a file');
    for (const file of files) {
      assert.equal(shown.get(file)!.length, 1, `${file} is shown once`);
      assert.equal(shown.get(file)![0], readFileSync(join(RECIPES, file), 'utf8'), `the README block of ${file} differs from the file`);
    }
  });
});
