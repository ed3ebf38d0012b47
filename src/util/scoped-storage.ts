import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * An AsyncLocalStorage that is on only while a call runs inside it. While any AsyncLocalStorage
 * is on, Node runs hooks at every promise of the process (promiseInitHook, _propagate in a
 * profile), whatever the request; a plain one stays on from its first use to the end.
 * Continuations that outlive their call (work left running after it returns) may read nothing.
 */
export class ScopedStorage<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  /** Calls running inside run() now. */
  private inside = 0;

  async run<R>(value: T, fn: () => Promise<R>): Promise<R> {
    this.inside++;
    try {
      return await this.storage.run(value, fn);
    } finally {
      if (--this.inside === 0) this.storage.disable();
    }
  }

  get(): T | undefined {
    return this.inside === 0 ? undefined : this.storage.getStore();
  }
}
