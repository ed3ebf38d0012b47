import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { functionEnvironment, INIT_TIMEOUT_MS, logStreamName, type Environment, type EnvironmentSpec, type Invocation } from './environments.ts';
import { FunctionFailed, FunctionInvalidAnswer, FunctionTimedOut, FunctionUnreachable } from './errors.ts';

const WORKER = new URL('./node-worker.mjs', import.meta.url);

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'loadError'; error: { errorType: string; errorMessage: string } }
  | { type: 'result'; id: number; json?: string; error?: { errorType: string; errorMessage: string; stack?: string }; invalid?: string };

interface Pending {
  label: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** A Node.js execution environment: a worker thread running node-worker.mjs for one handler module. */
export class NodeEnvironment implements Environment {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly ready: Promise<void>;
  private failReady: (err: Error) => void = () => {};
  /** Set when the module failed to load: every invocation answers with it. */
  private loadError: { errorType: string; errorMessage: string } | undefined;
  private readonly logStream = logStreamName();
  dead = false;
  busy = 0;

  constructor(private readonly spec: EnvironmentSpec, private readonly onDeath: () => void) {
    this.worker = new Worker(WORKER, { workerData: { file: spec.file }, env: functionEnvironment(spec) });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.failReady = reject;
      this.worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'loadError') {
          // Lambda answers an import error as the function's own error (Runtime.ImportModuleError);
          // the environment goes, so a fixed file loads on the next invocation.
          this.loadError = msg.error;
          resolve();
          this.kill(new Error('the module failed to load'));
        } else if (msg.type === 'result') {
          const p = this.pending.get(msg.id);
          if (!p) return; // answered after its timeout: ignored, as Lambda ignores it
          this.pending.delete(msg.id);
          if (msg.invalid !== undefined) p.reject(new FunctionInvalidAnswer(p.label, msg.invalid));
          else if (msg.error) p.reject(Object.assign(new FunctionFailed(p.label, msg.error.errorType, msg.error.errorMessage), msg.error.stack ? { cause: msg.error.stack } : {}));
          else {
            try {
              p.resolve(msg.json === undefined ? undefined : JSON.parse(msg.json));
            } catch (err) {
              p.reject(new FunctionInvalidAnswer(p.label, `the answer is not JSON: ${(err as Error).message}`));
            }
          }
        }
      });
      // An uncaught exception or unhandled rejection inside ends the worker: every invocation
      // in it fails, and the next one starts a fresh environment.
      this.worker.on('error', (err: Error) => {
        reject(err);
        // Its message stays out: it is the function's own text, which may quote what it was given.
        this.kill(new Error(`the function's environment failed with an uncaught ${err.name}`));
      });
      this.worker.on('exit', (code) => {
        const err = new Error(`the function's environment exited with code ${code}`);
        reject(err);
        this.kill(err);
      });
    });
    this.ready.catch(() => {});
    // The timeout bounds the handler, not loading its module (Lambda too bounds its init apart);
    // a module that never finishes loading ends its environment here.
    const init = setTimeout(() => this.kill(new Error(`the module did not load within ${INIT_TIMEOUT_MS / 1000} seconds`)), INIT_TIMEOUT_MS);
    init.unref();
    this.ready.then(() => clearTimeout(init), () => clearTimeout(init));
  }

  async invoke(inv: Invocation): Promise<unknown> {
    // An idle environment does not keep the process alive; one running an invocation does.
    if (this.busy++ === 0) this.worker.ref();
    try {
      return await this.run(inv);
    } finally {
      if (--this.busy === 0) this.worker.unref();
    }
  }

  private async run(inv: Invocation): Promise<unknown> {
    const event = JSON.stringify(inv.event);
    try {
      await this.ready;
    } catch (err) {
      throw new FunctionUnreachable(inv.label, (err as Error).message);
    }
    if (this.loadError) throw new FunctionFailed(inv.label, this.loadError.errorType, this.loadError.errorMessage);
    if (this.dead) throw new FunctionUnreachable(inv.label, "the function's environment has ended");
    const id = ++this.nextId;
    const deadline = Date.now() + inv.timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new FunctionTimedOut(inv.label, inv.timeoutMs));
        // Lambda resets the environment after a timeout; a handler stuck in a loop would
        // otherwise hold this one for ever.
        this.kill(new Error('the environment was reset after a timeout'));
      }, inv.timeoutMs);
      this.pending.set(id, {
        label: inv.label,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.worker.postMessage({
        type: 'invoke',
        id,
        handler: inv.handler,
        event,
        deadline,
        functionName: this.spec.functionName,
        invokedFunctionArn: inv.invokedFunctionArn,
        requestId: randomUUID(),
        logStreamName: this.logStream,
      });
    });
  }

  kill(reason: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath();
    this.failReady(reason);
    for (const p of this.pending.values()) p.reject(new FunctionUnreachable(p.label, reason.message));
    this.pending.clear();
    void this.worker.terminate();
  }
}
