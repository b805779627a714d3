import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written while serving a request or running an operation carries, without passing a
 * logger through every call: the request id and the operation id. The logger reads it in its mixin.
 */
export interface LogContext {
  req?: string;
  op?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with these fields added to the current context (an operation keeps the request that started it). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
