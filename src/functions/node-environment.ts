import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { boundInit, functionEnvironment, logStreamName, settle, timed, whenReady, type Environment, type EnvironmentSpec, type HandlerError, type Invocation, type Pending, type ResultMessage } from './environments.ts';
import { FunctionUnreachable } from './errors.ts';

const WORKER = new URL('./node-worker.mjs', import.meta.url);

type WorkerMessage = { type: 'ready' } | { type: 'loadError'; error: HandlerError } | ResultMessage;

/** A Node.js execution environment: a worker thread running node-worker.mjs for one handler module. */
export class NodeEnvironment implements Environment {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  readonly ready: Promise<void>;
  private failReady: (err: Error) => void = () => {};
  /** Set when the module failed to load: every invocation answers with it. */
  loadError: HandlerError | undefined;
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
          settle(p, msg, undefined);
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
    boundInit(this.ready, (reason) => this.kill(reason));
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
    await whenReady(this, inv.label);
    const id = ++this.nextId;
    const deadline = Date.now() + inv.timeoutMs;
    return new Promise((resolve, reject) => {
      this.pending.set(
        id,
        timed(inv, resolve, reject, () => {
          this.pending.delete(id);
          this.kill(new Error('the environment was reset after a timeout'));
        }),
      );
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
