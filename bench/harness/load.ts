// The parent's side of the load generator: one forked process (load-worker.ts), one job at a time.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Job, JobResult } from './jobs.ts';

export interface LoadGenerator {
  pid: number;
  run(job: Job): Promise<JobResult>;
  close(): Promise<void>;
}

export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(join(import.meta.dirname, 'load-worker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    run(job) {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`load generator exited (${code}) during ${job.kind}`));
        child.once('exit', onExit);
        child.once('message', (m: { ok: true; result: JobResult } | { ok: false; error: string }) => {
          child.off('exit', onExit);
          if (m.ok) resolve(m.result);
          else reject(new Error(`load generator: ${m.error}`));
        });
        child.send(job);
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
