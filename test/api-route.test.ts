import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer } from './helpers/tobira.ts';
import type { Running } from '../src/tobira.ts';

/**
 * http/api-route.ts answers plain Cognito calls (POST / with an awsJson content type) without
 * fastify; everything else still goes through fastify. The two must give the same answers: the
 * same status, headers and body bytes, whichever way a call is served.
 */

const IDP = 'AWSCognitoIdentityProviderService';

interface RawAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** Sends bytes on a fresh connection and reads the answer until the server closes it. */
function raw(url: string, request: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // Written, not ended: a client's half-close makes Node's server drop a call still running.
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        body: rest.join('\r\n\r\n'),
      });
    });
  });
}

function call(operation: string, body: string, contentType: string, path = '/'): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: tobira\r\nContent-Type: ${contentType}\r\nX-Amz-Target: ${IDP}.${operation}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** The answer without what differs between any two calls (request id, date). */
function comparable(a: RawAnswer): RawAnswer {
  return {
    status: a.status,
    headers: a.headers.filter(([k]) => k !== 'x-amzn-requestid' && k !== 'date'),
    body: a.body.replace(/Request id: [0-9a-f-]+/, 'Request id: -'),
  };
}

describe('the API lane answers as fastify does', () => {
  let t: Running;
  let poolId: string;
  before(async () => {
    t = await startTestServer();
    const made = await raw(t.url, call('CreateUserPool', JSON.stringify({ PoolName: 'lane' }), 'application/x-amz-json-1.1'));
    assert.equal(made.status, 200, made.body);
    poolId = JSON.parse(made.body).UserPool.Id;
    const user = await raw(t.url, call('AdminCreateUser', JSON.stringify({ UserPoolId: poolId, Username: 'ann', MessageAction: 'SUPPRESS' }), 'application/x-amz-json-1.1'));
    assert.equal(user.status, 200, user.body);
  });
  after(() => t?.close());

  // The same call as an awsJson content type (the lane) and as another one fastify serves
  // (any content type reaches the API through its catch-all parser; the path `//` too).
  const bodies: [string, string][] = [
    ['AdminGetUser', JSON.stringify({ UserPoolId: '<pool>', Username: 'ann' })],
    ['AdminGetUser', JSON.stringify({ UserPoolId: '<pool>', Username: 'nobody' })],
    ['AdminGetUser', '{"UserPoolId": '],
    ['AdminGetUser', '[1,2]'],
    ['AdminGetUser', ''],
    ['AdminGetUser', `{"UserPoolId": "<pool>", "Username": "${'a'.repeat(200)}"}`],
    ['NoSuchOperation', '{}'],
    ['ListUserPools', JSON.stringify({ MaxResults: 5 })],
  ];
  for (const [operation, template] of bodies) {
    test(`${operation} ${template.slice(0, 40)}: same answer from the lane and from fastify`, async () => {
      const body = template.replace('<pool>', poolId);
      const lane = await raw(t.url, call(operation, body, 'application/x-amz-json-1.1'));
      const viaFastify = await raw(t.url, call(operation, body, 'application/x-amz-json-1.1', '//'));
      const otherType = await raw(t.url, call(operation, body, 'text/plain'));
      assert.deepEqual(comparable(lane), comparable(viaFastify));
      assert.deepEqual(comparable(lane), comparable(otherType));
      assert.ok(lane.headers.some(([k, v]) => k === 'access-control-allow-origin' && v === '*'));
      assert.ok(lane.headers.some(([k]) => k === 'x-amzn-requestid'));
    });
  }

  test('a body that is not UTF-8, or nested too deep, is refused alike and the connection closes', async () => {
    for (const body of [Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from('['.repeat(100) + ']'.repeat(100))]) {
      const head = (type: string, path: string) =>
        Buffer.from(`POST ${path} HTTP/1.1\r\nHost: tobira\r\nContent-Type: ${type}\r\nX-Amz-Target: ${IDP}.ListUserPools\r\nContent-Length: ${body.length}\r\n\r\n`);
      const lane = await raw(t.url, Buffer.concat([head('application/x-amz-json-1.1', '/'), body]));
      const viaFastify = await raw(t.url, Buffer.concat([head('application/x-amz-json-1.1', '//'), body]));
      assert.equal(lane.status, 400);
      assert.equal(JSON.parse(lane.body).__type, 'SerializationException');
      assert.ok(lane.headers.some(([k, v]) => k === 'connection' && v === 'close'), JSON.stringify(lane.headers));
      assert.deepEqual(comparable(lane), comparable(viaFastify));
    }
  });

  test('a body over 1 MiB is refused, whether declared or sent in chunks', async () => {
    const big = `{"PoolName": "${'x'.repeat(1024 * 1024)}"}`;
    const declared = await raw(t.url, call('CreateUserPool', big, 'application/x-amz-json-1.1'));
    assert.equal(declared.status, 400);
    assert.deepEqual(JSON.parse(declared.body), { __type: 'InvalidParameterException', message: 'The request body is too large.' });
    // Chunked: the size is known only while reading.
    const chunk = Buffer.from(big);
    const chunked = Buffer.concat([
      Buffer.from(`POST / HTTP/1.1\r\nHost: tobira\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: ${IDP}.CreateUserPool\r\nTransfer-Encoding: chunked\r\n\r\n`),
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const streamed = await raw(t.url, chunked);
    assert.equal(streamed.status, 400);
    assert.deepEqual(JSON.parse(streamed.body), { __type: 'InvalidParameterException', message: 'The request body is too large.' });
    assert.ok(streamed.headers.some(([k, v]) => k === 'connection' && v === 'close'));
    // Nothing was made.
    const pools = await raw(t.url, call('ListUserPools', JSON.stringify({ MaxResults: 60 }), 'application/x-amz-json-1.1'));
    assert.equal(JSON.parse(pools.body).UserPools.length, 1);
  });

  test('several calls on one keep-alive connection are answered in order', async () => {
    const one = (name: string) =>
      `POST / HTTP/1.1\r\nHost: tobira\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: ${IDP}.AdminGetUser\r\n` +
      `Content-Length: ${Buffer.byteLength(JSON.stringify({ UserPoolId: poolId, Username: name }))}\r\n\r\n${JSON.stringify({ UserPoolId: poolId, Username: name })}`;
    const { hostname, port } = new URL(t.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(one('ann') + one('nobody') + one('ann')));
      let got = '';
      socket.on('data', (c) => {
        got += c.toString('utf8');
        if ((got.match(/HTTP\/1\.1 /g) ?? []).length === 3 && got.trimEnd().endsWith('}')) {
          socket.end();
          resolve(got);
        }
      });
      socket.on('error', reject);
    });
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 400, 200]);
    assert.match(text, /UserNotFoundException/);
  });
});
