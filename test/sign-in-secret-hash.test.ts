import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import { SrpClient } from './helpers/srp-client.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { computeSecretHash } from '../src/domain/sign-in/secret-hash.ts';

test('SECRET_HASH is Base64(HMAC-SHA256(secret, username + client id)) (cognito-protocols.md §5 example)', () => {
  assert.equal(computeSecretHash('1a2b3c4d5e6f7g8h9i0jexamplesecret0123456789', 'alice', '1example23456789'), 'SN3yKthOMOCtyYdI8Q2ztgUhu2E9J7xMkzerqw3az9o=');
});

describe('clients with a secret', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  let secret: string;
  let sub: string;
  const hash = (username: string) => computeSecretHash(secret, username, clientId);
  const call = async (op: string, body: Record<string, unknown>) => {
    const r = await rawCall(t.url, op, body);
    return r.status === 200 ? r.json : `${r.json.__type}: ${r.json.message}`;
  };
  before(async () => {
    t = await startTestServer();
    ({ poolId, clientId, clientSecret: secret } = (await poolWithClient(t.url, { UsernameAttributes: ['email'] }, { GenerateSecret: true })) as any);
    sub = await userWithPassword(t.url, poolId, 'kim@example.com', 'Kim#Pass123', { attributes: { email: 'kim@example.com' } });
  });
  after(() => t.close());

  test('password flows: missing, wrong and right SECRET_HASH, on InitiateAuth and AdminInitiateAuth', async () => {
    const params = { USERNAME: 'kim@example.com', PASSWORD: 'Kim#Pass123' };
    assert.equal(
      await call('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: params }),
      `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`,
    );
    assert.equal(
      await call('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { ...params, SECRET_HASH: hash('kim@example.org') } }),
      `NotAuthorizedException: Unable to verify secret hash for client ${clientId}`,
    );
    const ok = await call('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { ...params, SECRET_HASH: hash('kim@example.com') } });
    assert.equal(claims(ok.AuthenticationResult.AccessToken).username, sub);
    assert.equal(
      await call('AdminInitiateAuth', { UserPoolId: poolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: params }),
      `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`,
    );
  });

  test('REFRESH_TOKEN_AUTH needs the hash of the internal username (the sub here), not the email', async () => {
    const login = await call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'kim@example.com', PASSWORD: 'Kim#Pass123', SECRET_HASH: hash('kim@example.com') },
    });
    const token = login.AuthenticationResult.RefreshToken;
    assert.equal(
      await call('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: token } }),
      `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`,
    );
    assert.equal(
      await call('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: token, SECRET_HASH: hash('kim@example.com') } }),
      `NotAuthorizedException: SecretHash does not match for the client: ${clientId}`,
    );
    const ok = await call('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: token, SECRET_HASH: hash(sub) } });
    assert.equal(claims(ok.AuthenticationResult.IdToken).sub, sub);
  });

  test('USER_SRP_AUTH: SECRET_HASH on the start (hash of what was typed) and on the answer (hash of USER_ID_FOR_SRP)', async () => {
    const srp = new SrpClient(poolId);
    const A = await srp.srpA();
    assert.equal(
      await call('InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'kim@example.com', SRP_A: A } }),
      `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`,
    );
    const c = await call('InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'kim@example.com', SRP_A: A, SECRET_HASH: hash('kim@example.com') } });
    assert.equal(c.ChallengeParameters.USER_ID_FOR_SRP, sub);
    const answer = await srp.answer(c.ChallengeParameters, 'Kim#Pass123');
    const respond = (extra: Record<string, string>) =>
      call('RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: { ...answer, ...extra } });
    assert.equal(await respond({}), `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`);
    assert.equal(await respond({ SECRET_HASH: hash('someone') }), `NotAuthorizedException: Unable to verify secret hash for client ${clientId}`);
    const ok = await respond({ SECRET_HASH: hash(sub) });
    assert.equal(claims(ok.AuthenticationResult.AccessToken).sub, sub);
  });

  test('NEW_PASSWORD_REQUIRED answers need it too', async () => {
    const tmpSub = await userWithPassword(t.url, poolId, 'lee@example.com', 'Temp#Pass1', { temporary: true, attributes: { email: 'lee@example.com' } });
    const c = await call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'lee@example.com', PASSWORD: 'Temp#Pass1', SECRET_HASH: hash('lee@example.com') },
    });
    const respond = (extra: Record<string, string>) =>
      call('RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: c.Session, ChallengeResponses: { USERNAME: tmpSub, NEW_PASSWORD: 'Lee#Perm123', ...extra } });
    assert.equal(await respond({}), `NotAuthorizedException: Client ${clientId} is configured with secret but SECRET_HASH was not received`);
    const ok = await respond({ SECRET_HASH: hash(tmpSub) });
    assert.ok(ok.AuthenticationResult.IdToken);
  });

  test('boto3 with a SECRET_HASH made in Python: password sign-in and refresh', needs('boto3'), async () => {
    const script = `
import base64, boto3, hashlib, hmac, json, sys
url, pool, cid, secret, sub = sys.argv[1:6]
def h(name):
    return base64.b64encode(hmac.new(secret.encode(), (name + cid).encode(), hashlib.sha256).digest()).decode()
c = boto3.client('cognito-idp', endpoint_url=url, region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret')
r = c.initiate_auth(ClientId=cid, AuthFlow='USER_PASSWORD_AUTH',
                    AuthParameters={'USERNAME': 'kim@example.com', 'PASSWORD': 'Kim#Pass123', 'SECRET_HASH': h('kim@example.com')})
rt = r['AuthenticationResult']['RefreshToken']
r2 = c.admin_initiate_auth(UserPoolId=pool, ClientId=cid, AuthFlow='REFRESH_TOKEN_AUTH', AuthParameters={'REFRESH_TOKEN': rt, 'SECRET_HASH': h(sub)})
print(json.dumps({'login': r['AuthenticationResult'], 'refresh': r2['AuthenticationResult']}))
`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url, poolId, clientId, secret, sub], { timeout: 60_000 }, (err, out, stderr) => (err ? reject(new Error(stderr)) : resolve(out))),
    );
    const out = JSON.parse(stdout);
    assert.equal(claims(out.login.IdToken).email, 'kim@example.com');
    assert.equal(claims(out.refresh.AccessToken).origin_jti, claims(out.login.AccessToken).origin_jti);
  });
});
