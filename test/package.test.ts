import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CognitoIdentityProviderClient, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';

/**
 * The package as npm publishes it: `npm pack` (whose prepack bundles dist/), unpacked into an
 * empty folder, run without its TypeScript sources, and imported by a test file written as a
 * user of `import { startTobira } from 'tobira'` would write it. The packages it depends on come
 * from this checkout's node_modules (linked), so the test needs no registry.
 */
const root = join(import.meta.dirname, '..');
const run = promisify(execFile);

describe('the published package', () => {
  let work: string;
  let pkg: string;
  let files: string[];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tobira-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 1 << 24 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[')));
    files = packed.files.map((f: { path: string }) => f.path);
    await run('tar', ['xzf', join(work, packed.filename), '-C', work]);
    pkg = join(work, 'package');
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the bundle, the bin and declarations, and no TypeScript sources', () => {
    assert.ok(files.includes('dist/cli.mjs') && files.includes('dist/index.mjs') && files.includes('dist/index.d.ts'), files.join(' '));
    assert.ok(files.includes('bin/tobira.cjs'));
    assert.ok(files.includes('dist/node-worker.mjs') && files.includes('dist/python-runner.py'));
    assert.deepEqual(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('src/')));
  });

  it('imports at run time only Node built-ins and its own dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const allowed = new Set([...Object.keys(manifest.dependencies), ...builtinModules]);
    const missing = new Set<string>();
    for (const f of readdirSync(join(pkg, 'dist')).filter((n) => n.endsWith('.mjs'))) {
      const text = readFileSync(join(pkg, 'dist', f), 'utf8');
      // Static imports and re-exports at the start of a line (esbuild's output), and dynamic import("...").
      const statements = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
      for (const m of text.matchAll(statements)) {
        const given = m[1] ?? m[2] ?? m[3];
        if (given.startsWith('.')) continue;
        const spec = given.replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!allowed.has(name) && !allowed.has(spec)) missing.add(`${name} (in dist/${f})`);
      }
    }
    assert.deepEqual([...missing], [], 'imported at run time but not in "dependencies"');
  });

  it('`tobira start` runs from the bundle', async () => {
    const port = await freePort();
    let p: Spawned | undefined;
    try {
      p = spawnTobira(['start', '--in-memory', '--port', String(port)], {}, work, join(pkg, 'bin', 'tobira.cjs'));
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      const client = new CognitoIdentityProviderClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const out = await client.send(new ListUserPoolsCommand({ MaxResults: 10 }));
      assert.deepEqual(out.UserPools, []);
      client.destroy();
    } finally {
      await stopSpawned(p);
    }
  });

  it("a user's own node:test suite gets Cognito in one line", async () => {
    const app = join(work, 'app');
    mkdirSync(join(app, 'node_modules', '@aws-sdk'), { recursive: true });
    symlinkSync(pkg, join(app, 'node_modules', 'tobira'), 'dir');
    const sdk = join(root, 'node_modules', '@aws-sdk', 'client-cognito-identity-provider');
    symlinkSync(sdk, join(app, 'node_modules', '@aws-sdk', 'client-cognito-identity-provider'), 'dir');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', type: 'module', private: true }));
    writeFileSync(
      join(app, 'sign-up.test.mjs'),
      `import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTobira } from 'tobira';
import * as idp from '@aws-sdk/client-cognito-identity-provider';

let tobira, cognito;
before(async () => {
  tobira = await startTobira();
  cognito = new idp.CognitoIdentityProviderClient({ endpoint: tobira.url, region: tobira.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
after(() => tobira.close());

test('a user signs up, confirms with the emailed code and signs in', async () => {
  const { UserPool } = await cognito.send(new idp.CreateUserPoolCommand({ PoolName: 'app', AutoVerifiedAttributes: ['email'] }));
  const { UserPoolClient } = await cognito.send(new idp.CreateUserPoolClientCommand({
    UserPoolId: UserPool.Id, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  }));
  const ClientId = UserPoolClient.ClientId;
  await cognito.send(new idp.SignUpCommand({ ClientId, Username: 'ann@example.com', Password: 'Passw0rd!long', UserAttributes: [{ Name: 'email', Value: 'ann@example.com' }] }));
  const code = await tobira.codeFor('ann@example.com');
  assert.match(code, /^\\d{6}$/);
  await cognito.send(new idp.ConfirmSignUpCommand({ ClientId, Username: 'ann@example.com', ConfirmationCode: code }));
  const out = await cognito.send(new idp.InitiateAuthCommand({ ClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ann@example.com', PASSWORD: 'Passw0rd!long' } }));
  assert.ok(out.AuthenticationResult.IdToken);
  assert.equal((await tobira.outbox({ to: 'ann@example.com' })).length, 1);
});

test('startTobira({ config }) starts with the pools, clients and users a file declares', async () => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync('tobira.json', JSON.stringify({ userPools: [{ Id: 'us-east-1_Declared1', PoolName: 'declared',
    clients: [{ ClientId: 'declaredweb', ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }],
    users: [{ Username: 'bo', Password: 'Passw0rd!long' }] }] }));
  const declared = await startTobira({ config: 'tobira.json' });
  try {
    const c = new idp.CognitoIdentityProviderClient({ endpoint: declared.url, region: declared.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await c.send(new idp.InitiateAuthCommand({ ClientId: 'declaredweb', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bo', PASSWORD: 'Passw0rd!long' } }));
    assert.ok(out.AuthenticationResult.AccessToken);
  } finally {
    await declared.close();
  }
});

test('reset() forgets everything', async () => {
  await tobira.reset();
  const { UserPools } = await cognito.send(new idp.ListUserPoolsCommand({ MaxResults: 10 }));
  assert.deepEqual(UserPools, []);
  assert.deepEqual(await tobira.outbox(), []);
});
`,
    );
    // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const result = await run(process.execPath, ['--test', 'sign-up.test.mjs'], { cwd: app, env, maxBuffer: 1 << 24 }).catch((err) => err);
    assert.equal(result.code ?? 0, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /# pass 3/);
  });
});
