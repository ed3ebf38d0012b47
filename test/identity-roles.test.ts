import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdentityPool } from '../src/domain/types.ts';
import type { VerifiedLogin } from '../src/domain/identity/identities.ts';
import { resolveRole, ruleMatches } from '../src/domain/identity/roles.ts';
import type { RoleMapping } from '../src/generated/cognito-identity.ts';

/** Role resolution as the developer guide's "Role-based access control" describes it, unit by unit. */

const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;
const PROVIDER = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc';
const CLIENT = 'client123';

function pool(roles: Record<string, string>, roleMappings: Record<string, RoleMapping> = {}): IdentityPool {
  return { id: 'us-east-1:x', region: 'us-east-1', name: 'p', config: { AllowUnauthenticatedIdentities: true }, roles, roleMappings, tags: {}, createdAt: 0, updatedAt: 0 };
}
const login = (claims: Record<string, unknown>): VerifiedLogin => ({ providerName: PROVIDER, subject: 'sub-1', claims: { aud: CLIENT, sub: 'sub-1', ...claims } });
const err = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { name: (e as { type?: string }).type, message: (e as Error).message };
  }
  assert.fail('expected a refusal');
};

const INVALID = { name: 'InvalidIdentityPoolConfigurationException', message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.' };

describe('role resolution', () => {
  test("guests get the unauthenticated role, signed-in users the authenticated one; a missing role is Cognito's configuration error", () => {
    const p = pool({ authenticated: role('auth'), unauthenticated: role('guest') });
    assert.equal(resolveRole({ pool: p, logins: [] }), role('guest'));
    assert.equal(resolveRole({ pool: p, logins: [login({})] }), role('auth'));
    assert.deepEqual(err(() => resolveRole({ pool: pool({ authenticated: role('auth') }), logins: [] })), INVALID);
    assert.deepEqual(err(() => resolveRole({ pool: pool({ unauthenticated: role('guest') }), logins: [login({})] })), INVALID);
    assert.deepEqual(err(() => resolveRole({ pool: pool({}), logins: [] })), INVALID);
  });

  test('Token: CustomRoleArn among cognito:roles, else cognito:preferred_role, else AmbiguousRoleResolution', () => {
    const token = (ambiguous: 'AuthenticatedRole' | 'Deny') => pool({ authenticated: role('auth') }, { [`${PROVIDER}:${CLIENT}`]: { Type: 'Token', AmbiguousRoleResolution: ambiguous } });
    const claims = { 'cognito:roles': [role('a'), role('b')], 'cognito:preferred_role': role('a') };
    assert.equal(resolveRole({ pool: token('Deny'), logins: [login(claims)] }), role('a'));
    assert.equal(resolveRole({ pool: token('Deny'), logins: [login(claims)], customRoleArn: role('b') }), role('b'));
    const denied = err(() => resolveRole({ pool: token('AuthenticatedRole'), logins: [login(claims)], customRoleArn: role('c') }));
    assert.equal(denied.name, 'NotAuthorizedException');
    // Two roles of equal precedence: no preferred role.
    const ambiguous = login({ 'cognito:roles': [role('a'), role('b')] });
    assert.equal(resolveRole({ pool: token('AuthenticatedRole'), logins: [ambiguous] }), role('auth'));
    assert.deepEqual(err(() => resolveRole({ pool: token('Deny'), logins: [ambiguous] })), {
      name: 'NotAuthorizedException',
      message: `The ambiguous role mapping rules for: ${PROVIDER}:${CLIENT} denied this request.`,
    });
    // A comma-separated cognito:roles, as the guide describes the claim.
    assert.equal(resolveRole({ pool: token('Deny'), logins: [login({ 'cognito:roles': `${role('a')},${role('b')}` })], customRoleArn: role('b') }), role('b'));
  });

  test('Rules: the first matching rule wins; no match falls to AmbiguousRoleResolution', () => {
    const rules = (ambiguous: 'AuthenticatedRole' | 'Deny') =>
      pool(
        { authenticated: role('auth') },
        {
          [`${PROVIDER}:${CLIENT}`]: {
            Type: 'Rules',
            AmbiguousRoleResolution: ambiguous,
            RulesConfiguration: {
              Rules: [
                { Claim: 'cognito:groups', MatchType: 'Contains', Value: 'admin', RoleARN: role('admins') },
                { Claim: 'custom:dept', MatchType: 'Equals', Value: 'Sales', RoleARN: role('sales') },
                { Claim: 'email', MatchType: 'StartsWith', Value: 'ops', RoleARN: role('ops') },
              ],
            },
          },
        },
      );
    assert.equal(resolveRole({ pool: rules('Deny'), logins: [login({ 'cognito:groups': ['users', 'admins'], 'custom:dept': 'Sales' })] }), role('admins'));
    assert.equal(resolveRole({ pool: rules('Deny'), logins: [login({ 'cognito:groups': ['users'], 'custom:dept': 'Sales' })] }), role('sales'));
    assert.equal(resolveRole({ pool: rules('Deny'), logins: [login({ email: 'ops@example.com' })] }), role('ops'));
    // CustomRoleArn overrides the order when a rule naming it matches.
    assert.equal(resolveRole({ pool: rules('Deny'), logins: [login({ 'cognito:groups': ['admin'], 'custom:dept': 'Sales' })], customRoleArn: role('sales') }), role('sales'));
    assert.equal(resolveRole({ pool: rules('AuthenticatedRole'), logins: [login({ email: 'x@example.com' })] }), role('auth'));
    assert.equal(err(() => resolveRole({ pool: rules('Deny'), logins: [login({ email: 'x@example.com' })] })).name, 'NotAuthorizedException');
  });

  test('a provider without a mapping gets the authenticated role; mappings of other providers do not apply', () => {
    const p = pool({ authenticated: role('auth') }, { 'accounts.google.com': { Type: 'Token', AmbiguousRoleResolution: 'Deny' } });
    assert.equal(resolveRole({ pool: p, logins: [login({ 'cognito:roles': [role('x'), role('y')] })] }), role('auth'));
  });

  test('match types', () => {
    const m = (MatchType: 'Equals' | 'Contains' | 'StartsWith' | 'NotEqual', Value: string, claim: unknown) => ruleMatches({ MatchType, Value }, claim);
    assert.equal(m('Equals', 'a', 'a'), true);
    assert.equal(m('Equals', 'a', 'ab'), false);
    assert.equal(m('Contains', 'b', 'abc'), true);
    assert.equal(m('StartsWith', 'ab', 'abc'), true);
    assert.equal(m('StartsWith', 'bc', 'abc'), false);
    assert.equal(m('NotEqual', 'a', 'b'), true);
    assert.equal(m('NotEqual', 'a', 'a'), false);
    // A missing claim is never a match, NotEqual included (the guide).
    assert.equal(m('NotEqual', 'a', undefined), false);
    assert.equal(m('Equals', 'true', true), true);
    assert.equal(m('Equals', 'admins', ['users', 'admins']), true);
    assert.equal(m('NotEqual', 'admins', ['users', 'admins']), false);
  });
});
