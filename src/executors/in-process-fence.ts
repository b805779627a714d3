import { AsyncLocalStorage } from 'node:async_hooks';
import { ExecutorError, type OperationScope, type StorageExecutor } from './types';

interface Call {
  key: string;
  host: string;
  scope: OperationScope;
  step: string;
  detached: boolean;
}

/**
 * The node-side operation fence of commands/operation-lock.ts, for executors whose nodes live in this
 * process (the mock): calls of an operation on a host are counted while they run, a barrier waits until
 * none of an older generation runs there and then refuses them from then on.
 */
export class InProcessFence {
  private readonly generations = new Map<string, number>();
  private readonly running = new Map<string, Set<Call>>();
  private readonly current = new AsyncLocalStorage<Call>();

  scoped(base: StorageExecutor, scope: OperationScope): StorageExecutor {
    const fence = this;
    return new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'operationId') return scope.id;
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || prop === 'forOperation' || prop === 'barrier' || prop === 'close') return value;
        return (host: string, ...rest: unknown[]) =>
          fence.run(host, scope, String(prop), () => (value as (...a: unknown[]) => Promise<unknown>).call(target, host, ...rest));
      },
    });
  }

  /** The fenced call this code runs in, if any: its host, operation and step. */
  currentCall(): Pick<Call, 'host' | 'scope' | 'step'> | undefined {
    return this.current.getStore();
  }

  /** A call that will never return (a simulated hang) stops counting as running on the node. */
  detachCurrent(): void {
    const call = this.current.getStore();
    if (call) {
      call.detached = true;
      this.running.get(call.key)?.delete(call);
    }
  }

  async barrier(host: string, scope: OperationScope): Promise<void> {
    const key = `${host}|${scope.id}`;
    while ((this.running.get(key)?.size ?? 0) > 0) await new Promise((r) => setTimeout(r, 10));
    this.generations.set(key, Math.max(this.generations.get(key) ?? 0, scope.generation));
  }

  private async run<T>(host: string, scope: OperationScope, step: string, work: () => Promise<T>): Promise<T> {
    const key = `${host}|${scope.id}`;
    if ((this.generations.get(key) ?? 0) > scope.generation) {
      throw fencedOff(host, step);
    }
    const call: Call = { key, host, scope, step, detached: false };
    const calls = this.running.get(key) ?? new Set<Call>();
    this.running.set(key, calls);
    calls.add(call);
    try {
      return await this.current.run(call, work);
    } finally {
      calls.delete(call);
      if (calls.size === 0) this.running.delete(key);
    }
  }
}

/** What a node answers a command of an operation a newer holder has taken over (exit 75 on a real node). */
export function fencedOff(host: string, step: string): ExecutorError {
  return new ExecutorError(host, step, `${step}: operation taken over by a newer holder`, false, true);
}
