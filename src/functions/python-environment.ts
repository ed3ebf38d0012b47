import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { boundInit, functionEnvironment, logStreamName, settle, timed, whenReady, type Environment, type EnvironmentSpec, type HandlerError, type Invocation, type Pending, type ResultMessage } from './environments.ts';
import { FunctionUnreachable } from './errors.ts';

const RUNNER = fileURLToPath(new URL('./python-runner.py', import.meta.url));

/** The interpreter of Python handlers: TOBIRA_PYTHON, else python3 on PATH. */
export const PYTHON = process.env.TOBIRA_PYTHON || 'python3';

type RunnerMessage = { type: 'ready' } | { type: 'loadError'; error: HandlerError } | ResultMessage;

/**
 * A Python execution environment: one python3 process running python-runner.py for one handler
 * module, warm between invocations, one invocation at a time (the runner reads the next line only
 * once it has answered). A timeout kills the process, as Lambda resets the environment.
 */
export class PythonEnvironment implements Environment {
  private readonly child: ChildProcessWithoutNullStreams;
  private current: (Pending & { id: number }) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  readonly ready: Promise<void>;
  private failReady: (err: Error) => void = () => {};
  loadError: HandlerError | undefined;
  private readonly logStream = logStreamName();
  dead = false;
  busy = 0;

  constructor(private readonly spec: EnvironmentSpec, private readonly onDeath: () => void) {
    // stdin and stdout carry the protocol; stderr (the handler's prints and tracebacks) is this process's.
    this.child = spawn(PYTHON, ['-u', RUNNER, spec.file], { env: functionEnvironment(spec), stdio: ['pipe', 'pipe', 'inherit'] }) as unknown as ChildProcessWithoutNullStreams;
    // Neither the process nor its pipes keep Tobira alive while it is idle.
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout] as unknown as { unref?(): void }[]) s.unref?.();
    this.ready = new Promise((resolve, reject) => {
      this.failReady = reject;
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        let msg: RunnerMessage;
        try {
          msg = JSON.parse(line) as RunnerMessage;
        } catch {
          return;
        }
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'loadError') {
          this.loadError = msg.error;
          resolve();
          this.kill(new Error('the module failed to load'));
        } else if (msg.type === 'result' && this.current?.id === msg.id) {
          const p = this.current;
          this.current = undefined;
          settle(p, msg, null);
        }
      });
      this.child.on('error', (err) => {
        // python3 missing or not executable
        const e = new Error(`cannot run ${PYTHON}: ${err.message}`);
        reject(e);
        this.kill(e);
      });
      this.child.on('exit', (code, signal) => {
        const e = new Error(`the function's python process exited with ${signal ?? `code ${code}`}`);
        reject(e);
        this.kill(e);
      });
    });
    this.ready.catch(() => {});
    boundInit(this.ready, (reason) => this.kill(reason));
    this.child.stdin.on('error', () => {}); // a write to a process that just died: its exit reports it
  }

  invoke(inv: Invocation): Promise<unknown> {
    // An idle environment does not keep the process alive; one running an invocation does.
    if (this.busy++ === 0) this.child.ref();
    // Past the pool's limit invocations share an environment: they wait their turn.
    const run = this.queue.then(() => this.run(inv));
    this.queue = run.catch(() => {});
    return run.finally(() => {
      if (--this.busy === 0) this.child.unref();
    });
  }

  private async run(inv: Invocation): Promise<unknown> {
    const event = JSON.stringify(inv.event);
    await whenReady(this, inv.label);
    const id = ++this.nextId;
    const deadline = Date.now() + inv.timeoutMs;
    return new Promise((resolve, reject) => {
      this.current = {
        id,
        ...timed(inv, resolve, reject, () => {
          this.current = undefined;
          this.kill(new Error('the environment was reset after a timeout'));
        }),
      };
      const line = JSON.stringify({
        id,
        handler: inv.handler,
        event,
        deadline,
        functionName: this.spec.functionName,
        invokedFunctionArn: inv.invokedFunctionArn,
        requestId: randomUUID(),
        logStreamName: this.logStream,
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  kill(reason: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath();
    this.failReady(reason);
    this.current?.reject(new FunctionUnreachable(this.current.label, reason.message));
    this.current = undefined;
    this.child.stdin.destroy();
    this.child.kill('SIGKILL');
  }
}
