import type { ClosableExecutor } from '../../src/executors/factory';
import { EXECUTOR_STEPS, type StorageExecutor } from '../../src/executors/types';

/**
 * Wall time during which at least one executor call was in progress (overlapping calls count once), to tell
 * the server's own time from the (mock) nodes'.
 */
export class ExecutorTimer {
  ms = 0;
  calls = 0;
  private active = 0;
  private since = 0;

  enter(): void {
    if (this.active === 0) this.since = performance.now();
    this.active += 1;
  }

  leave(): void {
    this.active -= 1;
    this.calls += 1;
    if (this.active === 0) this.ms += performance.now() - this.since;
  }
}

/** The same executor, with every StorageExecutor call timed by `timer`. */
export function timedExecutor(inner: StorageExecutor, timer: ExecutorTimer): ClosableExecutor {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !EXECUTOR_STEPS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        timer.enter();
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          timer.leave();
          throw err;
        }
        return Promise.resolve(result).finally(() => timer.leave());
      };
    },
  });
}
