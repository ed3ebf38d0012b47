// One Node.js "execution environment" of a user's function: a worker thread that has loaded one
// handler module and runs its invocations one at a time, with the Node.js Lambda runtime's
// calling convention. What a handler does to its own runtime (process.exit, an exception thrown
// later from a timer, a rejection nobody handles, an endless loop) ends this environment only,
// as on Lambda, never the server beside it. Plain JavaScript: it must load before tsx is registered.
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register(); // handlers may be TypeScript

const { file } = workerData;
const moduleName = basename(file, extname(file));

/**
 * A failure as Lambda reports it: errorType and errorMessage. Lambda's Node.js runtime names a
 * thrown string "string" (`callback('no')`, `context.fail('no')`) and an Error by its name.
 */
const describe = (err) => {
  if (err instanceof Error) return { errorType: err.name || 'Error', errorMessage: err.message, stack: err.stack };
  if (typeof err === 'string') return { errorType: 'string', errorMessage: err };
  return { errorType: err === null ? 'null' : typeof err, errorMessage: `the handler failed with ${String(err)}` };
};

/**
 * The answer as JSON, the only thing Lambda carries back. A function or symbol anywhere in it
 * (JSON.stringify would silently drop those), a bigint or a cycle make it no answer at all.
 */
const toJson = (value) =>
  JSON.stringify(value, (key, v) => {
    if (typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`${key ? `"${key}"` : 'the answer'} is a ${typeof v}, not JSON`);
    return v;
  });

let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (err) {
  const d = describe(err);
  parentPort.postMessage({
    type: 'loadError',
    error: { errorType: d.errorType === 'SyntaxError' ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError', errorMessage: `${d.errorType}: ${d.errorMessage}` },
  });
}

parentPort.on('message', (msg) => {
  if (msg.type !== 'invoke' || !mod) return;
  const reply = (answer) => parentPort.postMessage({ type: 'result', id: msg.id, ...answer });
  const fn = mod[msg.handler] ?? mod.default?.[msg.handler];
  if (typeof fn !== 'function') {
    reply({ error: { errorType: 'Runtime.HandlerNotFound', errorMessage: `${moduleName}.${msg.handler} is undefined or not exported` } });
    return;
  }
  let settled = false;
  // Node.js Lambda runtime rules: an async handler's promise, or the callback (also
  // context.succeed/fail/done), whichever settles first; a throw, even `throw null`, is an error.
  const settle = (err, result) => {
    if (settled) return;
    settled = true;
    if (err !== undefined && err !== null) {
      reply({ error: describe(err) });
      return;
    }
    let json;
    try {
      json = toJson(result);
    } catch (e) {
      reply({ invalid: `the answer is not JSON: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    reply({ json });
  };
  const context = {
    functionName: msg.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: '128',
    awsRequestId: msg.requestId,
    logGroupName: `/aws/lambda/${msg.functionName}`,
    logStreamName: msg.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: (err, result) => settle(err, result),
    succeed: (result) => settle(null, result),
    fail: (err) => settle(err ?? new Error('failed')),
  };
  try {
    // The event crosses as JSON, as on Lambda: the handler gets its own copy.
    const out = fn(JSON.parse(msg.event), context, (err, result) => settle(err, result));
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
