import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';
import { cognitoCall, httpsRequest, lastJsonLine, runChild } from './helpers/https.ts';
import { AWS_CLI, needs } from './helpers/tools.ts';
import { startTestServer } from './helpers/tobira.ts';
import { parseArgs } from '../src/cli/args.ts';
import { configFromArgs } from '../src/cli/main.ts';

/**
 * `tobira start --https` as a user runs it: the local CA made once and reused, its key private,
 * real clients (the JS SDK, aws-jwt-verify, the AWS CLI) trusting it the way the start-up message
 * says, the hosted UI's cookies Secure, and --tls-cert / --tls-key with a certificate of our own.
 */

const PASSWORD = 'Https#Pass12';

/** The certificate a TLS server presents for `servername` (SNI), checked against `ca`. */
function peerCertificate(port: number, ca: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** The certificate's subject alternative names, as Node prints them (`DNS:localhost`, `IP Address:127.0.0.1`). */
const sans = (cert: PeerCertificate): string[] => (cert.subjectaltname ?? '').split(', ');

/** The JS SDK and aws-jwt-verify, run in a child that trusts the CA through NODE_EXTRA_CA_CERTS. */
const SDK_AND_VERIFIER = `
import { CognitoIdentityProviderClient, CreateUserPoolCommand, CreateUserPoolClientCommand, AdminCreateUserCommand, AdminSetUserPasswordCommand, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { JwtRsaVerifier } from 'aws-jwt-verify';
const url = process.env.TOBIRA_URL;
const sdk = new CognitoIdentityProviderClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'x' } });
const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'https' }))).UserPool.Id;
const client = (await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))).UserPoolClient.ClientId;
await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'hana', MessageAction: 'SUPPRESS' }));
await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'hana', Password: '${PASSWORD}', Permanent: true }));
const auth = await sdk.send(new InitiateAuthCommand({ ClientId: client, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'hana', PASSWORD: '${PASSWORD}' } }));
const verifier = JwtRsaVerifier.create({ issuer: url + '/' + pool, jwksUri: url + '/' + pool + '/.well-known/jwks.json', audience: client });
const claims = await verifier.verify(auth.AuthenticationResult.IdToken);
console.log(JSON.stringify({ pool, iss: claims.iss, username: claims['cognito:username'] }));
`;

describe('tobira start --https with a data directory', () => {
  let dir: string;
  let port: number;
  let url: string;
  let caFile: string;
  let ca: string;
  let first: Spawned | undefined;
  let server: Spawned | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-https-'));
    caFile = join(dir, 'ca', 'ca.crt');
    port = await freePort();
    url = `https://127.0.0.1:${port}`;
    first = spawnTobira(['start', '--https', '--data-dir', dir, '--port', String(port)]);
    await waitForHealth(url, 60_000, { caFile });
    ca = readFileSync(caFile, 'utf8');
  });
  after(async () => {
    await stopSpawned(first, server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the first start makes the CA in <data dir>/ca, key mode 600, never logged, and prints how to trust it', async () => {
    const out = first!.output();
    assert.match(out, new RegExp(`Tobira listening on ${url}`));
    for (const hint of [`NODE_EXTRA_CA_CERTS=${caFile}`, `AWS_CA_BUNDLE=${caFile}`, `REQUESTS_CA_BUNDLE=${caFile}`, 'update-ca-certificates', 'security add-trusted-cert']) {
      assert.ok(out.includes(hint), `the start-up output names ${hint}`);
    }
    assert.match(out, /"caCreated":true/);
    assert.equal(statSync(join(dir, 'ca', 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'ca')).mode & 0o777, 0o700);
    const keyBody = readFileSync(join(dir, 'ca', 'ca.key'), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    assert.ok(keyBody.length > 40 && !out.includes(keyBody.slice(0, 40)), 'the CA key is not in the output');
    const caCert = new X509Certificate(ca);
    assert.ok(caCert.ca);
  });

  test('the server certificate chains to the CA and covers loopback and the hosted UI hosts of the region', async () => {
    const cert = await peerCertificate(port, ca, 'localhost');
    for (const name of ['DNS:localhost', 'DNS:*.localhost', 'DNS:*.auth.us-east-1.localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) {
      assert.ok(sans(cert).includes(name), `${name} in ${cert.subjectaltname}`);
    }
    assert.ok(new X509Certificate(cert.raw).checkIssued(new X509Certificate(ca)));
    // A hosted UI host by SNI: Node checks the name against *.auth.us-east-1.localhost.
    await peerCertificate(port, ca, 'myapp.auth.us-east-1.localhost');
  });

  test('the JS SDK and aws-jwt-verify, in a child with NODE_EXTRA_CA_CERTS: sign-in, and the JWKS fetched over https', async () => {
    const r = await runChild(process.execPath, ['--input-type=module', '-e', SDK_AND_VERIFIER], { NODE_EXTRA_CA_CERTS: caFile, TOBIRA_URL: url });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = lastJsonLine(r);
    assert.equal(out.iss, `${url}/${out.pool}`);
    assert.equal(out.username, 'hana');
    // Without the CA the same child is refused: the TLS is real.
    const refused = await runChild(process.execPath, ['--input-type=module', '-e', SDK_AND_VERIFIER], { NODE_EXTRA_CA_CERTS: '', TOBIRA_URL: url });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /certificate/i);
  });

  test('the AWS CLI v2 with AWS_CA_BUNDLE', needs('aws'), async () => {
    const r = await runChild(AWS_CLI, ['cognito-idp', 'create-user-pool', '--pool-name', 'cli', '--endpoint-url', url, '--output', 'json'], {
      AWS_CA_BUNDLE: caFile,
      AWS_ACCESS_KEY_ID: 'AKIDTOBIRATEST',
      AWS_SECRET_ACCESS_KEY: 'tobira-test-secret',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: '/nonexistent/tobira-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/tobira-credentials',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(JSON.parse(r.stdout).UserPool.Id, /^us-east-1_/);
  });

  test("the hosted UI's cookies are Secure, by path and by its *.auth.<region>.localhost host", async () => {
    const prefix = `h${Date.now().toString(36)}`;
    const pool = (await cognitoCall(url, ca, 'CreateUserPool', { PoolName: 'hosted' })).UserPool.Id;
    const client = (
      await cognitoCall(url, ca, 'CreateUserPoolClient', {
        UserPoolId: pool,
        ClientName: 'web',
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid'],
        CallbackURLs: ['https://app.example.com/cb'],
        SupportedIdentityProviders: ['COGNITO'],
      })
    ).UserPoolClient.ClientId;
    await cognitoCall(url, ca, 'CreateUserPoolDomain', { UserPoolId: pool, Domain: prefix });
    const query = `client_id=${client}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://app.example.com/cb')}`;
    const byPath = await httpsRequest(`${url}/_domain/${prefix}/login?${query}`, ca);
    assert.equal(byPath.status, 200, byPath.body);
    const cookies = [byPath.headers['set-cookie'] ?? []].flat();
    assert.ok(cookies.length > 0);
    for (const c of cookies) assert.match(c, /; Secure(;|$)/, c);
    // By Host, as a browser sends it to https://<prefix>.auth.us-east-1.localhost:<port>.
    const host = `${prefix}.auth.us-east-1.localhost`;
    const byHost = await new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: `/login?${query}`, servername: host, headers: { host: `${host}:${port}` }, ca }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, cookies: [res.headers['set-cookie'] ?? []].flat() });
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.equal(byHost.status, 200);
    assert.ok(byHost.cookies.length > 0 && byHost.cookies.every((c) => /; Secure(;|$)/.test(c)), byHost.cookies.join('\n'));
  });

  test('a restart on the same data directory reuses the CA: what clients trust stays valid', async () => {
    await stopSpawned(first);
    port = await freePort();
    url = `https://127.0.0.1:${port}`;
    server = spawnTobira(['start', '--https', '--data-dir', dir, '--port', String(port)]);
    await waitForHealth(url, 60_000, { ca });
    assert.equal(readFileSync(caFile, 'utf8'), ca, 'ca.crt is unchanged');
    assert.match(server.output(), /"caCreated":false/);
    const cert = await peerCertificate(port, ca, 'localhost');
    assert.ok(new X509Certificate(cert.raw).checkIssued(new X509Certificate(ca)));
  });
});

describe('tobira start --https --in-memory, and --tls-cert / --tls-key', () => {
  const dirs: string[] = [];
  const procs: Spawned[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'tobira-https-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    await stopSpawned(...procs);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('--in-memory keeps the CA in $XDG_CONFIG_HOME/tobira/ca; the base domain is covered by its wildcard', async () => {
    const config = tmp();
    const port = await freePort();
    const caFile = join(config, 'tobira', 'ca', 'ca.crt');
    const p = spawnTobira(['start', '--https', '--in-memory', '--port', String(port), '--hosted-ui-base-domain', 'auth.example.test', '--region', 'eu-west-1'], { XDG_CONFIG_HOME: config });
    procs.push(p);
    await waitForHealth(`https://127.0.0.1:${port}`, 60_000, { caFile });
    const ca = readFileSync(caFile, 'utf8');
    const cert = await peerCertificate(port, ca, 'myapp.auth.example.test');
    assert.ok(sans(cert).includes('DNS:*.auth.eu-west-1.localhost'), String(cert.subjectaltname));
    assert.ok(sans(cert).includes('DNS:*.auth.example.test'), String(cert.subjectaltname));
  });

  test('--tls-cert and --tls-key serve the given certificate and make no CA; one without the other is refused', async () => {
    // A certificate of our own, made with @peculiar/x509 as a user's tooling would.
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const own = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=own test certificate',
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]), new x509.BasicConstraintsExtension(false)],
    });
    const dir = tmp();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, own.toString('pem'));
    writeFileSync(keyFile, x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'), { mode: 0o600 });
    const config = tmp();
    const port = await freePort();
    const p = spawnTobira(['start', '--in-memory', '--port', String(port), '--tls-cert', certFile, '--tls-key', keyFile], { XDG_CONFIG_HOME: config });
    procs.push(p);
    const ca = own.toString('pem');
    await waitForHealth(`https://127.0.0.1:${port}`, 60_000, { ca });
    const served = await peerCertificate(port, ca, '127.0.0.1');
    assert.equal(new X509Certificate(served.raw).fingerprint256, new X509Certificate(ca).fingerprint256);
    assert.equal(existsSync(join(config, 'tobira')), false, 'no local CA made');
    assert.match(p.output(), new RegExp(`Tobira listening on https://127.0.0.1:${port}`));
    assert.doesNotMatch(p.output(), /NODE_EXTRA_CA_CERTS/);

    const alone = spawnTobira(['start', '--in-memory', '--port', '0', '--tls-cert', certFile], { XDG_CONFIG_HOME: config });
    procs.push(alone);
    const { code } = await alone.exited;
    assert.equal(code, 1);
    assert.match(alone.output(), /--tls-cert and --tls-key go together/);
  });

  test('the flags and their environment variables: TOBIRA_HTTPS, TOBIRA_TLS_CERT, TOBIRA_TLS_KEY', () => {
    assert.equal(configFromArgs(parseArgs([], 'start'), {}).https, false);
    assert.equal(configFromArgs(parseArgs(['--https'], 'start'), {}).https, true);
    assert.equal(configFromArgs(parseArgs([], 'start'), { TOBIRA_HTTPS: 'true' }).https, true);
    const own = configFromArgs(parseArgs(['--tls-key', 'k.pem'], 'start'), { TOBIRA_TLS_CERT: 'c.pem' });
    assert.deepEqual([own.https, own.tlsCert, own.tlsKey], [true, 'c.pem', 'k.pem']);
  });

  test('with a master key the CA key is sealed, and does not open without it', async () => {
    const dataDir = tmp();
    const masterKey = 'https-test-master-key-0123456789';
    const sealed = await startTestServer({ dataDir, https: true, masterKey });
    await sealed.close();
    assert.match(readFileSync(join(dataDir, 'ca', 'ca.key'), 'utf8'), /^sealed:v1:/);
    await assert.rejects(startTestServer({ dataDir, https: true, masterKey: null }), /cannot open the local CA key/);
    const again = await startTestServer({ dataDir, https: true, masterKey });
    assert.match(again.url, /^https:/);
    await again.close();
  });
});
