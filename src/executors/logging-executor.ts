import type { Logger } from 'pino';
import { EXECUTOR_STEPS, ExecutorError, type OperationScope, type StorageExecutor } from './types';

/**
 * The same executor, with every step logged at debug level when it ends: step, host, ms and, on failure, the
 * error (the operation and request ids come from the log context). Whatever else the executor has (close, a
 * mock's helpers) passes through untouched.
 */
export function loggingExecutor<E extends StorageExecutor>(executor: E, log: Logger): E {
  return new Proxy(executor, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'forOperation') {
        return (scope: OperationScope) => loggingExecutor(target.forOperation(scope), log);
      }
      if (typeof prop !== 'string' || !EXECUTOR_STEPS.has(prop) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (!log.isLevelEnabled('debug')) return Reflect.apply(value, target, args) as unknown;
        const started = process.hrtime.bigint();
        const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
        try {
          const result = (await Reflect.apply(value, target, args)) as unknown;
          log.debug({ step: prop, host: args[0], ms: ms() }, 'executor step');
          return result;
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          const failedStep = err instanceof ExecutorError ? err.step : undefined;
          log.debug({ step: prop, host: args[0], ms: ms(), error, failedStep }, 'executor step failed');
          throw err;
        }
      };
    },
  });
}
