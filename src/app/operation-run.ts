import type { Knex } from 'knex';
import {
  lockHeldOperation,
  renewLeases,
  updateHeldOperation,
  type Holder,
} from '../db/repositories/operations';
import type { OperationRecord } from '../domain/operation';
import { ExecutorError, type StorageExecutor } from '../executors/types';
import type { AppContext } from './context';

/** This server no longer owns the operation (another took it over): stop without writing anything. */
export class OperationLost extends Error {
  constructor(readonly operationId: string) {
    super(`operation ${operationId} was taken over by another server`);
  }
}

/**
 * One operation as driven by this server, at the generation it holds it. Everything the operation writes
 * goes through `write` (the fence), and every remote step through `executor`, which first makes sure the
 * lease is comfortably valid and runs the command under the node-side lock of this operation.
 */
export class OperationRun<Payload> {
  readonly holder: Holder;
  readonly executor: StorageExecutor;
  /** Local clock (ms) until which the lease is known to hold. */
  private leaseValidUntil: number;

  constructor(
    readonly ctx: AppContext,
    readonly record: OperationRecord,
    public payload: Payload,
    leaseTakenAt: number,
  ) {
    this.holder = { owner: ctx.instanceId, generation: record.generation };
    this.leaseValidUntil = leaseTakenAt + ctx.leaseSeconds * 1000;
    this.executor = leaseChecked(ctx.executor.forOperation({ id: record.id, generation: record.generation }), () =>
      this.ensureLease(),
    );
  }

  get id(): string {
    return this.record.id;
  }

  /** Runs `fn` in a transaction that first checks this server still holds the operation. */
  async write<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.ctx.db.transaction(async (trx: Knex.Transaction) => {
      if (!(await lockHeldOperation(trx, this.id, this.holder))) throw new OperationLost(this.id);
      return fn(trx);
    });
  }

  /**
   * Records progress (the payload), fenced. Alone, it is one statement: the update's own owner and generation
   * condition is the fence (it changes the row only if this server still holds it), so it needs no transaction.
   */
  async save(payload: Payload, trx?: Knex.Transaction): Promise<void> {
    if (!(await updateHeldOperation(trx ?? this.ctx.db, this.id, this.holder, { payload }))) throw new OperationLost(this.id);
    this.payload = payload;
  }

  /** The runner's renewal reached the database at `at` (local ms) for this generation. */
  renewed(at: number): void {
    this.leaseValidUntil = Math.max(this.leaseValidUntil, at + this.ctx.leaseSeconds * 1000);
  }

  /**
   * Before a remote step: at least a third of the lease must be left, or a renewal must succeed now. A
   * server that stalled past its lease finds here that it lost the operation, before touching a node.
   */
  async ensureLease(): Promise<void> {
    const leaseMs = this.ctx.leaseSeconds * 1000;
    if (this.leaseValidUntil - Date.now() > leaseMs / 3) return;
    const at = Date.now();
    const renewed = await renewLeases(this.ctx.db, this.holder.owner, [{ id: this.id, generation: this.holder.generation }], this.ctx.leaseSeconds);
    if (!renewed.has(this.id)) throw new OperationLost(this.id);
    this.renewed(at);
  }
}

/** The executor with a lease check before every call; a command refused by the node-side fence is a loss. */
function leaseChecked(inner: StorageExecutor, check: () => Promise<void>): StorageExecutor {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'forOperation' || prop === 'close') return value;
      return async (...args: unknown[]) => {
        await check();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          if (err instanceof ExecutorError && err.fenced) throw new OperationLost(inner.operationId ?? '?');
          throw err;
        }
      };
    },
  });
}
