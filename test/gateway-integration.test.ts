import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { curl, gatewayFor } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

// How a local Lambda handler's answers become HTTP responses, and CORS, on routes without an
// authorizer (the authorizer has its own tests).

describe('Lambda proxy integration, REST API (payload 1.0)', needs('curl'), () => {
  let gw: RunningGateway;
  before(async () => {
    const none = { authorizer: 'none' };
    gw = await gatewayFor({
      routes: [
        { route: 'ANY /echo/{proxy+}', lambda: 'fixtures/echo.mjs', ...none },
        { route: 'GET /callback', lambda: 'fixtures/echo.mjs#withCallback', ...none },
        { route: 'GET /fails', lambda: 'fixtures/echo.mjs#fails', ...none },
        { route: 'GET /string', lambda: 'fixtures/echo.mjs#bareString', ...none },
        { route: 'GET /object', lambda: 'fixtures/echo.mjs#bareObject', ...none },
        { route: 'GET /binary', lambda: 'fixtures/echo.mjs#binary', ...none },
        { route: 'GET /hangs', lambda: 'fixtures/echo.mjs#hangs', timeoutSeconds: 0.3, ...none },
        { route: 'GET /typed', lambda: 'fixtures/typed.ts#handler', ...none },
        { route: 'GET /missing', lambda: 'fixtures/echo.mjs#noSuchExport', ...none },
        {
          route: 'ANY /cors/{proxy+}',
          lambda: 'fixtures/echo.mjs',
          endpoint: 'http://127.0.0.1:9',
          userPoolId: 'us-east-1_NoTobira',
          cors: { allowOrigins: ['https://app.example'], allowHeaders: ['authorization', 'content-type'], allowMethods: ['GET', 'POST'], maxAge: 600 },
        },
      ],
    });
  });
  after(() => gw?.close());

  test('the event carries method, path, headers (single and multi), query, body; the answer keeps status, headers and cookies', async () => {
    const r = await curl([
      '-X', 'PUT', `${gw.url}/echo/a/b%20c?q=1&q=2&z`, '-H', 'X-Thing: one', '-H', 'X-Thing: two',
      '-H', 'content-type: text/plain', '--data-binary', 'hello body',
    ]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-echo'], 'yes');
    const e = JSON.parse(r.body);
    assert.equal(e.httpMethod, 'PUT');
    assert.equal(e.path, '/echo/a/b%20c');
    assert.deepEqual(e.pathParameters, { proxy: 'a/b c' });
    assert.equal(e.headers['X-Thing'], 'two');
    assert.deepEqual(e.multiValueHeaders['X-Thing'], ['one', 'two']);
    assert.deepEqual(e.multiValueQueryStringParameters, { q: ['1', '2'], z: [''] });
    assert.equal(e.body, 'hello body');
    assert.equal(e.isBase64Encoded, false);
    assert.equal(e.requestContext.authorizer, undefined);
    const res = await fetch(`${gw.url}/echo/x`);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
  });

  test('binary request bodies arrive base64-encoded; binary answers are decoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = await fetch(`${gw.url}/echo/bin`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    const e = await res.json();
    assert.equal(e.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(e.body, 'base64'), bytes);
    const png = await fetch(`${gw.url}/binary`);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await png.arrayBuffer()), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]));
  });

  test('a callback-style handler and a TypeScript handler work', async () => {
    const cb = await curl([`${gw.url}/callback`]);
    assert.equal(cb.status, 201);
    assert.equal(cb.body, 'callback GET');
    const ts = await curl([`${gw.url}/typed`]);
    assert.equal(ts.status, 200);
    assert.equal(ts.body, 'typed /typed');
  });

  test('a handler that throws, answers a bare value, or is missing: 502 {"message": "Internal server error"}, no detail leaked', async () => {
    for (const path of ['/fails', '/string', '/object', '/missing']) {
      const r = await curl([`${gw.url}${path}`]);
      assert.equal(r.status, 502, path);
      assert.equal(r.body, '{"message": "Internal server error"}');
      assert.equal(r.headers['x-amzn-errortype'], 'InternalServerErrorException');
      assert.doesNotMatch(r.body, /secret/);
    }
  });

  test('a handler past its timeout: 504 {"message": "Endpoint request timed out"}', async () => {
    const r = await curl([`${gw.url}/hangs`]);
    assert.equal(r.status, 504);
    assert.equal(r.body, '{"message": "Endpoint request timed out"}');
  });

  test('a body over 10 MB: 413', async () => {
    const res = await fetch(`${gw.url}/echo/big`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) });
    assert.equal(res.status, 413);
  });

  test('CORS: a pre-flight is answered without a token; refusals carry the CORS headers; other origins get none', async () => {
    const pre = await curl([
      '-X', 'OPTIONS', `${gw.url}/cors/items`, '-H', 'Origin: https://app.example',
      '-H', 'Access-Control-Request-Method: POST', '-H', 'Access-Control-Request-Headers: authorization',
    ]);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'authorization,content-type');
    assert.equal(pre.headers['access-control-max-age'], '600');

    const refused = await curl([`${gw.url}/cors/items`, '-H', 'Origin: https://app.example']);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], 'https://app.example');

    const evil = await curl(['-X', 'OPTIONS', `${gw.url}/cors/items`, '-H', 'Origin: https://evil.example', '-H', 'Access-Control-Request-Method: POST']);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    // Without CORS configured, an OPTIONS is just an unknown method for the route.
    const plain = await curl(['-X', 'OPTIONS', `${gw.url}/typed`, '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: GET']);
    assert.equal(plain.status, 403);
  });
});

describe('Lambda integration, HTTP API (payload 2.0)', needs('curl'), () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await gatewayFor({
      apiType: 'http',
      authorizer: 'none',
      routes: [
        { route: 'GET /string', lambda: 'fixtures/echo.mjs#bareString' },
        { route: 'GET /object', lambda: 'fixtures/echo.mjs#bareObject' },
        { route: 'GET /fails', lambda: 'fixtures/echo.mjs#fails' },
        { route: 'GET /v1', lambda: 'fixtures/echo.mjs', payloadFormat: '1.0' },
      ],
    });
  });
  after(() => gw?.close());

  test('an answer without statusCode is a 200 JSON body, as HTTP APIs infer it', async () => {
    const s = await curl([`${gw.url}/string`]);
    assert.equal(s.status, 200);
    assert.equal(s.body, 'just a string');
    const o = await curl([`${gw.url}/object`]);
    assert.equal(o.status, 200);
    assert.equal(o.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(o.body), { hello: 'world', n: 1 });
  });

  test('a handler that throws: 500 {"message":"Internal Server Error"}', async () => {
    const r = await curl([`${gw.url}/fails`]);
    assert.equal(r.status, 500);
    assert.equal(r.body, '{"message":"Internal Server Error"}');
  });

  test('payload 1.0 may be chosen on an HTTP API', async () => {
    const r = await curl([`${gw.url}/v1`]);
    assert.equal(JSON.parse(r.body).httpMethod, 'GET');
  });
});
