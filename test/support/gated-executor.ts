import type { OperationScope, StorageExecutor } from '../../src/executors/types';

/** Holds one step of one server's operations until the test opens it: a stall, made on purpose. */
export class Gate {
  private open!: () => void;
  private arrive!: () => void;
  readonly opened = new Promise<void>((r) => (this.open = r));
  /** Resolves when the first call reaches the gate. */
  readonly reached = new Promise<void>((r) => (this.arrive = r));
  hits = 0;

  pass(): Promise<void> {
    this.hits += 1;
    this.arrive();
    return this.opened;
  }

  release(): void {
    this.open();
  }
}

/**
 * `base` with `step` of every operation-scoped executor held at `gate`, before the node sees the call or
 * after the node has done it (the reply is held). Everything else passes straight through.
 */
export function gatedExecutor(base: StorageExecutor, step: keyof StorageExecutor, when: 'before' | 'after', gate: Gate): StorageExecutor {
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop !== 'forOperation') return Reflect.get(target, prop, receiver);
      return (scope: OperationScope) => {
        const scoped = target.forOperation(scope);
        return new Proxy(scoped, {
          get(inner, p, r) {
            const value = Reflect.get(inner, p, r) as unknown;
            if (p !== step || typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              if (when === 'before') await gate.pass();
              const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
              if (when === 'after') await gate.pass();
              return result;
            };
          },
        });
      };
    },
  });
}
