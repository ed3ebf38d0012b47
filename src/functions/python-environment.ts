import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { functionEnvironment, INIT_TIMEOUT_MS, logStreamName, type Environment, type EnvironmentSpec, type Invocation } from './environments.ts';
import { FunctionFailed, FunctionInvalidAnswer, FunctionTimedOut, FunctionUnreachable } from './errors.ts';

const RUNNER = fileURLToPath(new URL('./python-runner.py', import.meta.url));

/** The interpreter of Python handlers: TOBIRA_PYTHON, else python3 on PATH. */
export const PYTHON = process.env.TOBIRA_PYTHON || 'python3';

type RunnerMessage =
  | { type: 'ready' }
  | { type: 'loadError'; error: { errorType: string; errorMessage: string } }
  | { type: 'result'; id: number; json?: string; error?: { errorType: string; errorMessage: string }; invalid?: string };

/**
 * A Python execution environment: one python3 process running python-runner.py for one handler
 * module, warm between invocations, one invocation at a time (the runner reads the next line only
 * once it has answered). A timeout kills the process, as Lambda resets the environment.
 */
export class PythonEnvironment implements Environment {
  private readonly child: ChildProcessWithoutNullStreams;
  private current: { id: number; label: string; resolve(r: unknown): void; reject(e: Error): void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private readonly ready: Promise<void>;
  private failReady: (err: Error) => void = () => {};
  private loadError: { errorType: string; errorMessage: string } | undefined;
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
          if (msg.invalid !== undefined) p.reject(new FunctionInvalidAnswer(p.label, msg.invalid));
          else if (msg.error) p.reject(new FunctionFailed(p.label, msg.error.errorType, msg.error.errorMessage));
          else {
            try {
              p.resolve(msg.json === undefined ? null : JSON.parse(msg.json));
            } catch (err) {
              p.reject(new FunctionInvalidAnswer(p.label, `the answer is not JSON: ${(err as Error).message}`));
            }
          }
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
    // The timeout bounds the handler, not loading its module (Lambda too bounds its init apart);
    // a module that never finishes loading ends its environment here.
    const init = setTimeout(() => this.kill(new Error(`the module did not load within ${INIT_TIMEOUT_MS / 1000} seconds`)), INIT_TIMEOUT_MS);
    init.unref();
    this.ready.then(() => clearTimeout(init), () => clearTimeout(init));
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
        this.current = undefined;
        reject(new FunctionTimedOut(inv.label, inv.timeoutMs));
        this.kill(new Error('the environment was reset after a timeout'));
      }, inv.timeoutMs);
      this.current = {
        id,
        label: inv.label,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
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
