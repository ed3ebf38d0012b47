import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test, type TestOptions } from 'node:test';

/**
 * Tools from outside npm that some tests drive: the AWS CLI, python3 with boto3, curl and
 * openssl. A test (or a describe) that needs one takes `needs('aws')` as its options: it runs
 * when the tool is present, and is skipped with a reason naming what to install when it is not,
 * so `npm install && npm test` passes on a machine with Node and nothing else. Under CI (`CI` set
 * and not `false`/`0`) a missing tool fails the run instead: .ci/run installs them all, and a
 * suite that silently skipped the CLI there would prove nothing. "Present" means the tool runs:
 * it answers its version (the CLI) or imports boto3 (python), not merely that a file exists.
 */

/**
 * The AWS CLI the tests run: TOBIRA_TEST_AWS_CLI when set (and then only that one), else Debian's
 * awscli (v2) at /usr/bin/aws, else `aws` on PATH.
 */
export const AWS_CLI = process.env.TOBIRA_TEST_AWS_CLI || (existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws');

/** The python3 that runs the boto3 scripts: TOBIRA_TEST_PYTHON when set, else `python3` on PATH. */
export const PYTHON = process.env.TOBIRA_TEST_PYTHON || 'python3';

/** True when this run must fail rather than skip for a missing tool. */
export const IN_CI = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());

export type ToolName = 'aws' | 'boto3' | 'curl' | 'openssl' | 'python3' | 'pycognito';

/**
 * Tools whose absence never fails a CI run: pycognito is on PyPI only (no Debian package), and
 * .ci/run installs from Debian alone, so CI=true cannot demand it; its recipe test runs wherever
 * someone has `pip install pycognito`.
 */
const OPTIONAL_IN_CI: ReadonlySet<ToolName> = new Set(['pycognito']);

/** Runs a probe command; undefined when it ran and exited 0, else what went wrong. */
function probe(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message;
  if (r.status !== 0) return `exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  return undefined;
}

/** Why each tool is unusable, with what to install; undefined when it is present. */
const CHECKS: Record<ToolName, () => string | undefined> = {
  aws() {
    // v1 prints timestamps as epoch numbers and words some errors differently: the tests assert v2.
    const r = spawnSync(AWS_CLI, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const version = /aws-cli\/(\d+)\.\S*/.exec(`${r.stdout}${r.stderr}`);
    if (!r.error && r.status === 0 && version && Number(version[1]) >= 2) return undefined;
    const problem = version ? `is ${version[0]}` : (probe(AWS_CLI, ['--version']) ?? 'printed no aws-cli version');
    return `needs the AWS CLI v2 (${AWS_CLI} ${problem}): install it (apt-get install awscli) or point TOBIRA_TEST_AWS_CLI at one`;
  },
  boto3() {
    const python = probe(PYTHON, ['--version']);
    if (python) return `needs python3 with boto3 (${PYTHON}: ${python}): install them (apt-get install python3-boto3) or point TOBIRA_TEST_PYTHON at a python3 that has boto3`;
    const problem = probe(PYTHON, ['-c', 'import boto3']);
    if (!problem) return undefined;
    return `needs boto3 for ${PYTHON} (${problem}): install it (pip install boto3, or apt-get install python3-boto3 and TOBIRA_TEST_PYTHON=/usr/bin/python3)`;
  },
  curl() {
    const problem = probe('curl', ['--version']);
    return problem && `needs curl (curl: ${problem}): install it (apt-get install curl)`;
  },
  python3() {
    // The interpreter Tobira runs Python Lambda handlers with (src/functions/python-environment.ts).
    const python = process.env.TOBIRA_PYTHON || 'python3';
    const problem = probe(python, ['--version']);
    return problem && `needs python3 to run Python handlers (${python}: ${problem}): install it (apt-get install python3) or point TOBIRA_PYTHON at one`;
  },
  pycognito() {
    const problem = missing('boto3') ?? probe(PYTHON, ['-c', 'import pycognito']);
    return problem && `needs pycognito for ${PYTHON} (${problem}): install it (pip install pycognito)`;
  },
  openssl() {
    const problem = probe('openssl', ['version']);
    return problem && `needs openssl (openssl: ${problem}): install it (apt-get install openssl)`;
  },
};

const found = new Map<ToolName, string | undefined>();
const failed = new Set<ToolName>();

/** Why `tool` cannot be used, or undefined when it can (probed once per process). */
export function missing(tool: ToolName): string | undefined {
  if (!found.has(tool)) found.set(tool, CHECKS[tool]());
  return found.get(tool);
}

/**
 * Test options for a test or describe that needs these tools: `{}` when all are present, else
 * `{ skip: '<what to install>' }`. Under CI a missing tool also adds, once per file, a failing
 * test that names it, so the run fails (the dependent tests are skipped with the same reason).
 */
export function needs(...tools: ToolName[]): TestOptions {
  const reasons: string[] = [];
  for (const tool of tools) {
    const reason = missing(tool);
    if (!reason) continue;
    reasons.push(reason);
    if (IN_CI && !failed.has(tool) && !OPTIONAL_IN_CI.has(tool)) {
      failed.add(tool);
      test(`CI=true requires ${tool}`, () => {
        throw new Error(`CI=true: a test ${reason}. .ci/run installs it; outside CI such tests are skipped.`);
      });
    }
  }
  return reasons.length ? { skip: reasons.join('; ') } : {};
}
