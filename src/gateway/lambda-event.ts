import { createHash } from 'node:crypto';
import type { GatewayRoute } from './config.ts';
import type { GatewayRequest } from './request.ts';
import type { AuthResult } from './authorizer.ts';
import { httpApiClaims, MONTHS, pad, restClaims } from './claims.ts';

export interface EventContext {
  apiId: string;
  accountId: string;
  stage: string | null;
  pathParameters: Record<string, string> | null;
  auth: Extract<AuthResult, { ok: true }> | null;
}


/** `21/Mar/2023:17:36:56 +0000`, API Gateway's requestTime. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * Bodies of text types reach the handler as strings; anything else base64 with isBase64Encoded
 * (HTTP APIs do this; a REST API needs binaryMediaTypes for it and would otherwise mangle bytes).
 */
function encodeBody(req: GatewayRequest): { body: string | null; isBase64Encoded: boolean } {
  if (req.body.length === 0) return { body: null, isBase64Encoded: false };
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const text =
    !req.headers['content-encoding'] &&
    (type === '' || /^text\/|[/+](json|xml)\b|^application\/(x-www-form-urlencoded|javascript|graphql)/.test(type));
  return text ? { body: req.body.toString('utf8'), isBase64Encoded: false } : { body: req.body.toString('base64'), isBase64Encoded: true };
}

/** A REST resource's id: six lower-case letters and digits (`roq9wj`), the same for a resource every time. */
function resourceId(template: string): string {
  return createHash('sha256').update(template).digest().readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
}

/**
 * `requestContext.authorizer`: a Cognito authorizer's `{claims}` (all strings), or a JWT
 * authorizer's `{jwt: {claims, scopes}}`, whichever payload version carries it.
 */
function authorizerContext(route: GatewayRoute, ctx: EventContext): Record<string, unknown> | undefined {
  if (!ctx.auth) return undefined;
  if (route.authorizer === 'cognito') return { claims: restClaims(ctx.auth.claims) };
  return { jwt: { claims: httpApiClaims(ctx.auth.claims), scopes: ctx.auth.scopes } };
}

function queryPairs(raw: string): [string, string][] {
  if (raw === '') return [];
  return [...new URLSearchParams(raw)];
}

/** The REST API proxy event, payload format 1.0. */
export function restEvent(route: GatewayRoute, req: GatewayRequest, ctx: EventContext): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const pairs = queryPairs(req.rawQuery);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of pairs) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const stage = ctx.stage ?? '$default';
  const userAgent = req.headers['user-agent'] ?? null;
  const authorizer = authorizerContext(route, ctx);
  return {
    resource: route.template.template,
    path: req.path,
    httpMethod: req.method,
    headers: req.rawHeaders.length ? headers : null,
    multiValueHeaders: req.rawHeaders.length ? multiValueHeaders : null,
    queryStringParameters: pairs.length ? query : null,
    multiValueQueryStringParameters: pairs.length ? multiQuery : null,
    pathParameters: ctx.pathParameters,
    stageVariables: null,
    requestContext: {
      resourceId: resourceId(route.template.template),
      resourcePath: route.template.template,
      httpMethod: req.method,
      extendedRequestId: req.shortId,
      requestTime: clfTime(req.receivedAt),
      path: req.fullPath,
      accountId: ctx.accountId,
      protocol: req.protocol,
      stage,
      domainPrefix: req.host.split('.')[0],
      requestTimeEpoch: req.receivedAt,
      requestId: req.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: req.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent,
        user: null,
      },
      domainName: req.host,
      apiId: ctx.apiId,
      ...(authorizer ? { authorizer } : {}),
    },
    ...encodeBody(req),
  };
}

/** The HTTP API event, payload format 2.0. */
export function httpApiEvent(route: GatewayRoute, req: GatewayRequest, ctx: EventContext): Record<string, unknown> {
  // 2.0 joins repeated headers and query parameters with commas and lifts cookies out.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name === 'cookie') {
      (cookies ??= []).push(...value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of queryPairs(req.rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const { body, isBase64Encoded } = encodeBody(req);
  const routeKey = `${route.method === 'ANY' ? 'ANY' : route.method} ${route.template.template}`;
  const auth = authorizerContext(route, ctx);
  return {
    version: '2.0',
    routeKey,
    rawPath: req.fullPath,
    rawQueryString: req.rawQuery,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(ctx.pathParameters ? { pathParameters: ctx.pathParameters } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      ...(auth ? { authorizer: auth } : {}),
      domainName: req.host,
      domainPrefix: req.host.split('.')[0],
      http: {
        method: req.method,
        path: req.fullPath,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: req.shortId,
      routeKey,
      stage: ctx.stage ?? '$default',
      time: clfTime(req.receivedAt),
      timeEpoch: req.receivedAt,
    },
    ...(body !== null ? { body } : {}),
    isBase64Encoded,
  };
}
