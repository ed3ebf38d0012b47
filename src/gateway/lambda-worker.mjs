// A local Lambda "execution environment": one worker thread per handler module, so that what a
// handler does to its own runtime (process.exit, an exception thrown later from a timer, a
// rejection nobody handles, an endless loop) ends this environment only, as on Lambda, and never
// the gateway or the Tobira beside it. Plain JavaScript: it must load before tsx is registered.
import { randomUUID } from 'node:crypto';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register(); // handlers may be TypeScript

const { file, region, accountId } = workerData;
const functionName = basename(file, extname(file));

/** An error as the gateway logs it: structured clone keeps only plain data. */
const describe = (err) =>
  err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { name: 'Error', message: `the handler failed with ${String(err)}` };

let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (err) {
  parentPort.postMessage({ type: 'loadError', error: describe(err) });
}

parentPort.on('message', (msg) => {
  if (msg.type !== 'invoke' || !mod) return;
  const reply = (answer) => {
    try {
      parentPort.postMessage({ type: 'result', id: msg.id, ...answer });
    } catch (err) {
      // A function, a symbol or the like in the answer: not an answer API Gateway can send.
      parentPort.postMessage({ type: 'result', id: msg.id, malformed: `the answer cannot be passed on: ${err.message}` });
    }
  };
  const fn = mod[msg.name] ?? mod.default?.[msg.name];
  if (typeof fn !== 'function') {
    reply({ error: { name: 'Error', message: `${file} exports no function "${msg.name}"` } });
    return;
  }
  let settled = false;
  // Node.js Lambda runtime rules: an async handler's promise, or the callback (also
  // context.succeed/fail/done), whichever settles first; a throw, even `throw null`, is an error.
  const settle = (err, result) => {
    if (settled) return;
    settled = true;
    if (err !== undefined && err !== null) reply({ error: describe(err) });
    else reply({ result });
  };
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `tobira/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: (err, result) => settle(err, result),
    succeed: (result) => settle(null, result),
    fail: (err) => settle(err ?? new Error('failed')),
  };
  try {
    const out = fn(msg.event, context, (err, result) => settle(err, result));
    if (out && typeof out.then === 'function') {
      out.then((r) => settle(null, r), (e) => settle(e ?? new Error('rejected')));
    } else if (fn.length < 3) {
      // A synchronous handler without a callback parameter answers with its return value.
      settle(null, out);
    }
  } catch (err) {
    settle(err ?? new Error(`the handler threw ${String(err)}`));
  }
});

parentPort.postMessage({ type: 'ready' });
