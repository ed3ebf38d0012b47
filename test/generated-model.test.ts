import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs script without types
import { SERVICES, generate, outputPath } from '../scripts/generate-model.mjs';
import { OPERATIONS, SHAPES } from '../src/generated/cognito-idp.ts';
import { compileModelPattern } from '../src/http/validate.ts';

test('the committed generated model matches a fresh generation from model/', () => {
  for (const svc of SERVICES) {
    const fresh = generate(svc);
    const committed = readFileSync(outputPath(svc), 'utf8');
    assert.ok(fresh === committed, `src/generated/${svc.name}.ts is stale: run npm run generate`);
  }
});

test('the operation table has the 122 operations of the model, 32 of them unsigned', () => {
  const ops = Object.values(OPERATIONS);
  assert.equal(ops.length, 122);
  assert.equal(ops.filter((o) => o.auth === 'none').length, 32);
});

test('every pattern in the model compiles as a JavaScript regular expression', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    if (!shape.pattern) continue;
    assert.doesNotThrow(() => compileModelPattern(shape.pattern!), name);
  }
});
