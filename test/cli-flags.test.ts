import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nearest, parseArgs } from '../src/cli/args.ts';
import { COMMANDS, configurationTable, ENV_ONLY } from '../src/cli/flags.ts';
import { commands } from '../src/cli/main.ts';
import { spawnTobira } from './helpers/process.ts';

const root = join(import.meta.dirname, '..');
const cliFiles = readdirSync(join(root, 'src/cli')).filter((f) => f.endsWith('.ts'));

/** Runs `tobira <args>` to its end. */
async function tobira(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = spawnTobira(args);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

describe('the command line: one declaration of every flag', () => {
  it("the README's configuration table is the declaration's (npm run docs:flags writes it)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('<!-- flags:start -->\n') + '<!-- flags:start -->\n'.length, readme.indexOf('<!-- flags:end -->'));
    assert.equal(table, configurationTable());
  });

  it('every flag the commands read is declared, and every command has a declaration', () => {
    const declared = new Set([...Object.values(COMMANDS).flatMap((c) => c.flags.map((f) => f.name)), 'help']);
    for (const file of cliFiles) {
      const text = readFileSync(join(root, 'src/cli', file), 'utf8');
      for (const m of text.matchAll(/flagString\(args, '([a-z-]+)'\)|args\.flags\['([a-z-]+)'\]|args\.flags\.([a-z]+)\b/g)) {
        const name = m[1] ?? m[2] ?? m[3];
        assert.ok(declared.has(name), `src/cli/${file} reads --${name}, which src/cli/flags.ts does not declare`);
      }
    }
    assert.deepEqual(Object.keys(commands).sort(), Object.keys(COMMANDS).sort());
  });

  it('every declared environment variable is read by the code', () => {
    const sources = ['src/config.ts', ...cliFiles.map((f) => `src/cli/${f}`), 'src/store/postgres.ts'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    const envs = [...Object.values(COMMANDS).flatMap((c) => c.flags.map((f) => f.env)), ...ENV_ONLY.map((e) => e.env)].filter(Boolean) as string[];
    // The listener limits' variables are built from their flag names (config.ts LIMIT_SETTINGS).
    const built = new Set(['TOBIRA_REQUEST_TIMEOUT_SECONDS', 'TOBIRA_HEADERS_TIMEOUT_SECONDS', 'TOBIRA_KEEP_ALIVE_TIMEOUT_SECONDS', 'TOBIRA_MAX_CONNECTIONS']);
    for (const env of envs) if (!built.has(env)) assert.ok(sources.includes(env), `${env} is declared but never read`);
  });

  it('parses strictly: a typo names the nearest flag, a missing value and a value for a switch are refused', () => {
    assert.throws(() => parseArgs(['--data-dri', '/var/lib/tobira']), /unknown option --data-dri; did you mean --data-dir\?/);
    assert.throws(() => parseArgs(['--htps']), /unknown option --htps/);
    assert.throws(() => parseArgs(['--port']), /--port needs a value <P>/);
    assert.throws(() => parseArgs(['--in-memory=yes']), /--in-memory takes no value/);
    assert.throws(() => parseArgs(['--pool', 'x'], 'start'), /unknown option --pool/);
    assert.deepEqual(parseArgs(['rotate', '--pool=us-east-1_a'], 'keys'), { positional: ['rotate'], flags: { pool: 'us-east-1_a' } });
    assert.deepEqual(parseArgs(['--port', '1', '--in-memory', '--log-level', 'warn']).flags, { port: '1', 'in-memory': true, 'log-level': 'warn' });
    assert.equal(nearest('strict-auth-flow', ['strict-auth-flows', 'port']), 'strict-auth-flows');
    assert.equal(nearest('zzzzzz', ['port', 'host']), undefined);
  });

  it('`tobira start` with a mistyped flag stops with the reason instead of starting', async () => {
    const r = await tobira(['start', '--in-memory', '--port', '0', '--data-dri', '/tmp/nowhere']);
    assert.equal(r.code, 1);
    assert.match(r.output, /tobira start: unknown option --data-dri; did you mean --data-dir\? \(tobira start --help lists its flags\)/);
    assert.doesNotMatch(r.output, /listening/);
  });

  it("`tobira <command> --help` prints that command's flags; `tobira --help` the commands", async () => {
    const keys = await tobira(['keys', '--help']);
    assert.equal(keys.code, 0);
    assert.match(keys.output, /^Usage: tobira keys rotate \[options\]/);
    assert.match(keys.output, /--pool <ID>/);
    assert.match(keys.output, /--database-url <URL>\s+the PostgreSQL store instead.*\(env TOBIRA_DATABASE_URL\)/s);
    assert.doesNotMatch(keys.output, /--smtp-url/);
    const start = await tobira(['start', '--help']);
    assert.match(start.output, /--log-format <F>\s+json: one object per line.*\(env TOBIRA_LOG_FORMAT, default pretty on a terminal, else json\)/s);
    const all = await tobira(['--help']);
    assert.equal(all.code, 0);
    for (const c of Object.values(COMMANDS)) assert.ok(all.output.includes(c.usage), c.usage);
  });
});
