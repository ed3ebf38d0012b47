import { CognitoError, notAuthorized } from '../../errors.ts';
import { respondToAuthChallenge } from '../../domain/sign-in/flows.ts';
import { associateSoftwareToken, verifySoftwareToken } from '../../domain/mfa/software-tokens.ts';
import type { AuthOutcome } from '../../domain/sign-in/result.ts';
import { verifyAccessToken } from '../../domain/tokens/access-tokens.ts';
import { AuthorizeRefused, type AuthorizeRequest, checkAuthorizeRequest } from '../authorize-request.ts';
import { completeAuthorization } from '../complete-authorization.ts';
import type { HostedContext } from '../context.ts';
import { CSRF_FIELD, csrfToken, csrfValid } from '../csrf.ts';
import { secretHashFor } from '../forms.ts';
import { errorBox, html, page, type SafeHtml } from '../html.ts';
import { answerRefusal } from '../refusal.ts';
import { Params, queryString, sendPage } from '../request.ts';
import { startSession } from '../sessions.ts';
import { hostedOrigin } from '../../domain/threat/origin.ts';

export const parameters = new Set(['_challenge', '_session', '_username', '_secret', '_choices', 'new_password', 'code', 'answer', 'email', CSRF_FIELD]);

/** The challenges this page answers, with the response name of the code each asks for. */
const CODE_RESPONSE: Record<string, string> = { SMS_MFA: 'SMS_MFA_CODE', SOFTWARE_TOKEN_MFA: 'SOFTWARE_TOKEN_MFA_CODE', EMAIL_OTP: 'EMAIL_OTP_CODE' };
const PREFIX = 'userAttributes.';
/** The factors SELECT_MFA_TYPE may offer, with the words the page shows for each. */
const FACTOR_LABEL: Record<string, string> = { SMS_MFA: 'Text message (SMS)', SOFTWARE_TOKEN_MFA: 'Authenticator app', EMAIL_OTP: 'Email' };
const listOf = (json: string | undefined): string[] => {
  try {
    const v: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

/**
 * MFA_SETUP with an authenticator app: the API's own AssociateSoftwareToken (with the challenge
 * Session) makes the secret, shown on the page with its otpauth:// URI; the Session it answers
 * with is the one the form carries. Any other challenge is shown as it came.
 */
export async function showChallenge(ctx: HostedContext, ar: AuthorizeRequest, outcome: AuthOutcome, username: string): Promise<string> {
  if (outcome.ChallengeName === 'MFA_SETUP' && listOf(outcome.ChallengeParameters.MFAS_CAN_SETUP).includes('SOFTWARE_TOKEN_MFA')) {
    const { SecretCode, Session } = await associateSoftwareToken(ctx.app, { Session: outcome.Session });
    outcome = { ...outcome, Session, ChallengeParameters: { ...outcome.ChallengeParameters, SECRET_CODE: SecretCode ?? '' } };
  }
  return challengePage(ctx, ar, outcome, username);
}

/** The otpauth:// URI an authenticator app takes (Key Uri Format): issuer, account, secret. */
function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  // Spaces as %20, not URLSearchParams' `+`, which authenticator apps would show as it is.
  return `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent(issuer)}`;
}

/**
 * The steps after a correct password, answered with the API's own challenge machinery
 * (RespondToAuthChallenge: sign-in/new-password.ts, mfa/challenges.ts): the challenge Session
 * rides in the form, which is CSRF-protected like every other. NEW_PASSWORD_REQUIRED asks the
 * new password and the required attributes still missing; SMS_MFA, SOFTWARE_TOKEN_MFA and
 * EMAIL_OTP ask the code; SELECT_MFA_TYPE offers the factors to choose from (then their code);
 * MFA_SETUP shows a new authenticator-app secret (showChallenge) and takes its first code, or
 * (a pool with email MFA only) asks the address for codes.
 */
export function challengePage(ctx: HostedContext, ar: AuthorizeRequest, outcome: AuthOutcome, username: string, error?: string): string {
  const name = outcome.ChallengeName!;
  const token = csrfToken(ctx.app, ctx.hd, ctx.req, ctx.reply);
  let fields: SafeHtml;
  let title: string;
  let extra: SafeHtml = html``;
  if (name === 'NEW_PASSWORD_REQUIRED') {
    title = 'Change your password';
    const required = (JSON.parse(outcome.ChallengeParameters.requiredAttributes ?? '[]') as string[]).map((a) => a.slice(PREFIX.length));
    fields = html`<p>You must change your password to continue.</p>
  <label for="new_password">New password</label>
  <input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus>
  ${required.map((a) => html`<label for="attr-${a}">${a}</label><input id="attr-${a}" name="${PREFIX}${a}" type="text" required>`)}`;
  } else if (CODE_RESPONSE[name]) {
    title = 'Enter your code';
    const where = outcome.ChallengeParameters.CODE_DELIVERY_DESTINATION;
    fields = html`<p>${name === 'SOFTWARE_TOKEN_MFA' ? 'Enter the code from your authenticator app.' : `We have sent a code to ${where ?? 'you'}.`}</p>
  <label for="code">Code</label>
  <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus>`;
  } else if (name === 'SELECT_MFA_TYPE') {
    title = 'Choose how to get your code';
    const choices = listOf(outcome.ChallengeParameters.MFAS_CAN_CHOOSE).filter((c) => FACTOR_LABEL[c]);
    extra = html`<input type="hidden" name="_choices" value="${JSON.stringify(choices)}">`;
    fields = html`<fieldset><legend>Sign-in method</legend>
  ${choices.map((c, i) => html`<label><input type="radio" name="answer" value="${c}"${i === 0 ? html` checked` : ''}> ${FACTOR_LABEL[c]!}</label>`)}
  </fieldset>`;
  } else if (name === 'MFA_SETUP' && outcome.ChallengeParameters.SECRET_CODE) {
    title = 'Set up your authenticator app';
    const secret = outcome.ChallengeParameters.SECRET_CODE;
    const issuer = ar.client.config.ClientName || 'Tobira';
    extra = html`<input type="hidden" name="_secret" value="${secret}">`;
    fields = html`<p>Your account needs multi-factor authentication. Add this key to your authenticator app, then enter the code it shows.</p>
  <p>Secret key: <code id="secret">${secret}</code></p>
  <p>Or open this link on the device with the app: <a id="otpauth" href="${otpauthUri(issuer, username, secret)}">${otpauthUri(issuer, username, secret)}</a></p>
  <label for="code">Code</label>
  <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus>`;
  } else if (name === 'MFA_SETUP' && listOf(outcome.ChallengeParameters.MFAS_CAN_SETUP).includes('EMAIL_OTP')) {
    title = 'Set up email codes';
    fields = html`<p>Your account needs multi-factor authentication. Enter the email address to send sign-in codes to.</p>
  <label for="email">Email address</label>
  <input id="email" name="email" type="email" autocomplete="email" required autofocus>`;
  } else {
    return page('Sign in', html`<p role="alert">This sign-in needs a step (${name}) that the hosted UI does not offer yet.</p>`, { clientName: ar.client.config.ClientName, look: ctx.look });
  }
  const body = html`${errorBox(error)}
<form method="post" action="${ctx.hd.base}/challenge${queryString(ctx.req)}" novalidate>
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  <input type="hidden" name="_challenge" value="${name}">
  <input type="hidden" name="_session" value="${outcome.Session ?? ''}">
  <input type="hidden" name="_username" value="${username}">
  ${extra}
  ${fields}
  <button type="submit" class="submitButton-customizable">Continue</button>
</form>`;
  return page(title, body, { clientName: ar.client.config.ClientName, look: ctx.look });
}

/**
 * A sign-in that ended with tokens from the challenge path: the hosted UI hands out its own
 * tokens (through the code or the fragment), so the refresh token made on the way is revoked
 * at once, never having left the server.
 */
async function userOf(ctx: HostedContext, outcome: AuthOutcome) {
  const { user, claims } = await verifyAccessToken(ctx.app, outcome.AuthenticationResult!.AccessToken!);
  if (typeof claims.origin_jti === 'string') await ctx.app.store.tokens.revokeRefreshByOrigin(claims.origin_jti, ctx.app.clock.now());
  return user;
}

/** POST /challenge: one answer; the next challenge, or the session and the way back to the app. */
export async function challengeSubmit(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  let ar: AuthorizeRequest;
  try {
    ar = await checkAuthorizeRequest(app, hd.pool, Params.query(req));
  } catch (err) {
    if (err instanceof AuthorizeRefused) return answerRefusal(ctx, err.refusal);
    throw err;
  }
  const form = Params.form(req);
  if (!csrfValid(req, form.get(CSRF_FIELD))) {
    return sendPage(reply, 403, page('Error', html`<p role="alert">Your session has expired or the form was not sent from this page. Go back and try again.</p>`));
  }
  const name = form.get('_challenge') ?? '';
  const session = form.get('_session') ?? '';
  const username = form.get('_username') ?? '';
  const current: AuthOutcome = { ChallengeName: name as AuthOutcome['ChallengeName'], Session: session, ChallengeParameters: {} };
  const responses: Record<string, string> = { USERNAME: username };
  const hash = secretHashFor(ar.client, username);
  if (hash) responses.SECRET_HASH = hash;
  if (name === 'NEW_PASSWORD_REQUIRED') {
    responses.NEW_PASSWORD = form.get('new_password') ?? '';
    for (const key of form.raw.keys()) if (key.startsWith(PREFIX)) responses[key] = form.get(key) ?? '';
  } else if (CODE_RESPONSE[name]) {
    responses[CODE_RESPONSE[name]!] = form.get('code') ?? '';
  } else if (name === 'SELECT_MFA_TYPE') {
    responses.ANSWER = form.get('answer') ?? '';
    current.ChallengeParameters = { MFAS_CAN_CHOOSE: form.get('_choices') ?? '[]' };
  } else if (name === 'MFA_SETUP' && form.get('email') !== undefined) {
    responses.EMAIL = form.get('email') ?? '';
    current.ChallengeParameters = { MFAS_CAN_SETUP: JSON.stringify(['EMAIL_OTP']) };
  } else if (name === 'MFA_SETUP') {
    current.ChallengeParameters = { MFAS_CAN_SETUP: JSON.stringify(['SOFTWARE_TOKEN_MFA']), SECRET_CODE: form.get('_secret') ?? '' };
  } else {
    return sendPage(reply, 400, page('Error', html`<p role="alert">An error was encountered with the requested page.</p>`));
  }
  let outcome: AuthOutcome;
  try {
    let answered = session;
    if (name === 'MFA_SETUP' && responses.EMAIL === undefined) {
      // The code proves the app has the secret (VerifySoftwareToken with the Session); its new
      // Session then answers MFA_SETUP, as an API client would.
      answered = (await verifySoftwareToken(app, { Session: session, UserCode: form.get('code') ?? '' })).Session ?? '';
    }
    outcome = await respondToAuthChallenge(
      app,
      { admin: true, poolId: hd.pool.id, clientId: ar.client.clientId, origin: hostedOrigin(req) },
      current.ChallengeName!,
      responses,
      answered,
    );
    if (!outcome.ChallengeName && !outcome.AuthenticationResult) throw notAuthorized('Invalid session for the user.');
  } catch (err) {
    if (!(err instanceof CognitoError)) throw err;
    // A wrong code or a refused password leaves the Session usable: ask again, with the reason.
    const asked = [...form.raw.keys()].filter((k) => k.startsWith(PREFIX));
    const again = name === 'NEW_PASSWORD_REQUIRED' ? { ...current, ChallengeParameters: { requiredAttributes: JSON.stringify(asked) } } : current;
    return sendPage(reply, 200, challengePage(ctx, ar, again, username, err.message));
  }
  if (outcome.ChallengeName) return sendPage(reply, 200, await showChallenge(ctx, ar, outcome, username));
  const user = await userOf(ctx, outcome);
  const authTime = app.clock.now();
  await startSession(app, hd, req, reply, user, authTime);
  return reply.redirect(await completeAuthorization(app, ar, user, authTime), 302);
}
