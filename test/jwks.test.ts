import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetUserCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { ManualClock } from '../src/clock.ts';
import { rotatePoolKeys } from '../src/domain/tokens/keys.ts';
import type { Running } from '../src/tobira.ts';
import { BIN } from './helpers/process.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { createPoolAndClient, createUser, decodeJwt, httpJwksCache, signIn } from './helpers/tokens.ts';

/** GET over a fresh connection each time (the keys test restarts the server on the same port). */
function getJson(url: string): Promise<{ status: number; headers: Headers; json: any }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode!, headers, json: JSON.parse(body) });
      });
    }).on('error', reject);
  });
}

function tobiraCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('JWKS and OIDC discovery', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test("a new pool's JWKS lists an ID key and an access key, as Cognito's", async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    const r = await getJson(`${t.url}/${poolId}/.well-known/jwks.json`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/json/);
    assert.match(r.headers.get('cache-control')!, /max-age=\d+/);
    assert.equal(r.json.keys.length, 2);
    for (const k of r.json.keys) {
      assert.deepEqual(Object.keys(k), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.equal(k.alg, 'RS256');
      assert.equal(k.kty, 'RSA');
      assert.equal(k.e, 'AQAB');
      assert.equal(k.use, 'sig');
      assert.equal(k.n.length, 342, 'RSA-2048');
    }
    assert.notEqual(r.json.keys[0].kid, r.json.keys[1].kid);

    // The tokens of a sign-in name exactly these two keys, one each.
    await createUser(idp, poolId, 'lena');
    const tokens = await signIn(idp, clientId, 'lena');
    const kids = [decodeJwt(tokens.IdToken).header.kid, decodeJwt(tokens.AccessToken).header.kid].sort();
    assert.deepEqual(kids, r.json.keys.map((k: any) => k.kid).sort());
    // Asking again gives the same keys.
    assert.deepEqual((await getJson(`${t.url}/${poolId}/.well-known/jwks.json`)).json, r.json);
  });

  test('race: concurrent first uses of a pool (JWKS requests and sign-ins) agree on one pair of keys', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    await createUser(idp, poolId, 'ned');
    const [jwksA, signA, jwksB, signB] = await Promise.all([
      getJson(`${t.url}/${poolId}/.well-known/jwks.json`),
      signIn(idp, clientId, 'ned'),
      getJson(`${t.url}/${poolId}/.well-known/jwks.json`),
      signIn(idp, clientId, 'ned'),
    ]);
    const jwks = (await getJson(`${t.url}/${poolId}/.well-known/jwks.json`)).json;
    assert.equal(jwks.keys.length, 2);
    assert.deepEqual(jwksA.json, jwks);
    assert.deepEqual(jwksB.json, jwks);
    const kids = jwks.keys.map((k: any) => k.kid).sort();
    for (const r of [signA, signB]) {
      assert.deepEqual([decodeJwt(r.IdToken).header.kid, decodeJwt(r.AccessToken).header.kid].sort(), kids);
    }
  });

  test('the discovery document names our issuer, JWKS and OAuth endpoints', async () => {
    const { poolId } = await createPoolAndClient(idp);
    const r = await getJson(`${t.url}/${poolId}/.well-known/openid-configuration`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      authorization_endpoint: `${t.url}/oauth2/authorize`,
      end_session_endpoint: `${t.url}/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer: `${t.url}/${poolId}`,
      jwks_uri: `${t.url}/${poolId}/.well-known/jwks.json`,
      response_types_supported: ['code', 'token'],
      revocation_endpoint: `${t.url}/oauth2/revoke`,
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint: `${t.url}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      userinfo_endpoint: `${t.url}/oauth2/userInfo`,
    });
  });

  test('an unknown pool gets a JSON 404', async () => {
    for (const path of ['us-east-1_NoSuchPool/.well-known/jwks.json', 'us-east-1_NoSuchPool/.well-known/openid-configuration', 'x%20y/.well-known/jwks.json']) {
      const res = await fetch(`${t.url}/${path}`);
      assert.equal(res.status, 404, path);
      const body = await res.json();
      assert.equal(body.__type, 'ResourceNotFoundException');
    }
  });

  test('in the AWS issuer mode the discovery document names the AWS issuer and our JWKS', async () => {
    const aws = await startTestServer({ issuerMode: 'aws', region: 'ap-south-1' });
    try {
      const { poolId } = await createPoolAndClient(idpClient(aws.url, 'ap-south-1'));
      const r = await getJson(`${aws.url}/${poolId}/.well-known/openid-configuration`);
      assert.equal(r.json.issuer, `https://cognito-idp.ap-south-1.amazonaws.com/${poolId}`);
      assert.equal(r.json.jwks_uri, `${aws.url}/${poolId}/.well-known/jwks.json`);
    } finally {
      await aws.close();
    }
  });

  test('rotated-out keys stay in the JWKS for a day, then leave it', async () => {
    const clock = new ManualClock(Date.now());
    const s = await startTestServer({}, { clock });
    try {
      const { poolId } = await createPoolAndClient(idpClient(s.url));
      const first = (await getJson(`${s.url}/${poolId}/.well-known/jwks.json`)).json.keys.map((k: any) => k.kid);
      const kids = await rotatePoolKeys(s.app, poolId);
      const both = (await getJson(`${s.url}/${poolId}/.well-known/jwks.json`)).json.keys.map((k: any) => k.kid);
      assert.deepEqual([...both].sort(), [...first, kids.id, kids.access].sort());
      clock.advance(24 * 3600_000 - 1);
      assert.equal((await getJson(`${s.url}/${poolId}/.well-known/jwks.json`)).json.keys.length, 4);
      clock.advance(1);
      const later = (await getJson(`${s.url}/${poolId}/.well-known/jwks.json`)).json.keys.map((k: any) => k.kid);
      assert.deepEqual(later.sort(), [kids.id, kids.access].sort());
    } finally {
      await s.close();
    }
  });
});

describe('signing keys in a data directory', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('keys survive a restart; `tobira keys rotate` gives new kids while old tokens keep verifying', async (tc) => {
    let t = await startTestServer({ dataDir: dir });
    tc.after(() => t.close()); // whichever is running when the test ends, on failure too
    let idp = idpClient(t.url);
    const { poolId, clientId } = await createPoolAndClient(idp);
    await createUser(idp, poolId, 'mia');
    const before = await signIn(idp, clientId, 'mia');
    const jwks1 = (await getJson(`${t.url}/${poolId}/.well-known/jwks.json`)).json;

    // Rotate from another process while the server runs.
    const rotated = await tobiraCli(['keys', 'rotate', '--data-dir', dir]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, new RegExp(`^${poolId} `, 'm'));

    const jwks2 = (await getJson(`${t.url}/${poolId}/.well-known/jwks.json`)).json;
    assert.equal(jwks2.keys.length, 4);
    const oldKids = jwks1.keys.map((k: any) => k.kid);
    assert.ok(oldKids.every((kid: string) => jwks2.keys.some((k: any) => k.kid === kid)), 'previous keys still published');

    const after = await signIn(idp, clientId, 'mia');
    const newIdKid = decodeJwt(after.IdToken).header.kid;
    const newAccessKid = decodeJwt(after.AccessToken).header.kid;
    assert.ok(!oldKids.includes(newIdKid) && !oldKids.includes(newAccessKid), 'new tokens carry the new kids');
    assert.notEqual(newIdKid, newAccessKid);

    const issuer = `${t.url}/${poolId}`;
    const verifier = JwtRsaVerifier.create(
      { issuer, audience: clientId, jwksUri: `${issuer}/.well-known/jwks.json` },
      { jwksCache: httpJwksCache().cache },
    );
    await verifier.verify(before.IdToken);
    await verifier.verify(after.IdToken);
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: before.AccessToken }))).Username, 'mia');

    // Only one pool's keys when --pool is given; an unknown pool is an error.
    const unknown = await tobiraCli(['keys', 'rotate', '--pool', 'us-east-1_Nope', '--data-dir', dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /User pool us-east-1_Nope does not exist/);

    await t.close();
    // Same port, so the same issuer (the issuer is the public URL plus the pool id).
    t = await startTestServer({ dataDir: dir, port: Number(new URL(t.url).port) });
    try {
      idp = idpClient(t.url);
      const jwks3 = (await getJson(`${t.url}/${poolId}/.well-known/jwks.json`)).json;
      assert.deepEqual(jwks3, jwks2, 'the same keys after a restart');
      const again = await signIn(idp, clientId, 'mia');
      assert.equal(decodeJwt(again.IdToken).header.kid, newIdKid);
      assert.equal((await idp.send(new GetUserCommand({ AccessToken: before.AccessToken }))).Username, 'mia');
    } finally {
      await t.close();
    }
  });
});
