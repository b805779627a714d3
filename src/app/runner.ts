import type { Knex } from 'knex';
import { DomainError } from '../domain/errors';
import {
  claimAbandoned,
  findOperation,
  pruneFinished,
  renewLeases,
  takePending,
  updateOperation,
} from '../db/repositories/operations';
import { withLogContext } from '../log-context';
import type { AppContext } from './context';
import { describeOperation, silentObserver, type OperationObserver, type OperationSubject } from './observer';
import { operationErrorText, type OperationHandler } from './operations/handler';
import { Semaphore } from './semaphore';
import type { OperationRecord } from '../domain/operation';

export const INTERRUPTED = 'operation interrupted: the server stopped before it finished; its changes were undone';

/**
 * Drives recorded operations through exec -> finalize (or rollback) with a bounded number in flight, keeps
 * their leases alive, and takes over operations whose owner died. Status lives only in the database.
 */
export class OperationRunner {
  private readonly handlers = new Map<string, OperationHandler>();
  private readonly slots: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private leaseTimer?: NodeJS.Timeout;
  private recoveryTimer?: NodeJS.Timeout;
  private stopping = false;
  private recovering = false;
  /** Requests admitted that have not submitted their operation yet. */
  private admitted = 0;

  constructor(
    private readonly ctx: AppContext,
    handlers: OperationHandler[],
    private readonly observer: OperationObserver = silentObserver,
  ) {
    for (const h of handlers) this.handlers.set(h.kind, h);
    const g = ctx.config.glusterfs;
    this.slots = new Semaphore(g.max_inflight_operations, g.max_queued_operations);
  }

  get inFlight(): number {
    return this.slots.inFlight;
  }

  get queued(): number {
    return this.slots.queued;
  }

  /**
   * Admission: a place in the line is taken before the request records anything, so requests arriving
   * together cannot all slip past a full line. Refused (429) only when even the waiting line is full.
   * Returns the release for a request that ends without submitting an operation.
   */
  admit(): () => void {
    if (this.stopping) throw new DomainError('unavailable', 'Server is shutting down. Retry operation later.');
    if (!this.slots.hasRoom(this.admitted)) throw new DomainError('busy', 'Server busy. Retry operation later.');
    this.admitted += 1;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.admitted -= 1;
      }
    };
  }

  /** Starts the background loops: lease renewal and recovery of abandoned operations. */
  start(): void {
    const leaseMs = this.ctx.leaseSeconds * 1000;
    this.leaseTimer = setInterval(() => void this.renew(), Math.max(100, leaseMs / 3));
    this.recoveryTimer = setInterval(() => void this.recoverAbandoned(), Math.max(200, leaseMs / 2));
    this.leaseTimer.unref();
    this.recoveryTimer.unref();
    void this.recoverAbandoned();
  }

  /** Runs a freshly built operation in the background. */
  submit(opId: string): void {
    this.track(withLogContext({ op: opId }, () => this.drive(opId, 'fresh')));
  }

  /** Resolves when everything submitted so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * SIGTERM: stop taking work, give running operations up to `graceMs` to finish. Whatever is left keeps its
   * record and lease; the next start (or another replica) recovers it once the lease lapses.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.recoveryTimer);
    const done = this.idle().then(() => true);
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
    const finished = await Promise.race([done, timeout]);
    clearInterval(this.leaseTimer);
    return finished;
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async renew(): Promise<void> {
    try {
      await renewLeases(this.ctx.db, this.ctx.instanceId, this.ctx.leaseSeconds);
    } catch (err) {
      this.ctx.log.error({ err }, 'lease renewal failed');
    }
  }

  async recoverAbandoned(): Promise<number> {
    if (this.recovering || this.stopping) return 0;
    this.recovering = true;
    try {
      const claimed = await this.ctx.db.transaction((trx) =>
        claimAbandoned(trx, this.ctx.instanceId, this.ctx.leaseSeconds, 16),
      );
      for (const op of claimed) {
        this.ctx.log.warn({ op: op.id, kind: op.kind, state: op.state, phase: op.phase }, 'recovering operation');
        this.track(withLogContext({ op: op.id }, () => this.drive(op.id, 'recover')));
      }
      const pruned = await pruneFinished(this.ctx.db, this.ctx.config.glusterfs.operation_retention_hours);
      if (pruned > 0) this.ctx.log.info({ pruned }, 'forgot old finished operations');
      return claimed.length;
    } catch (err) {
      this.ctx.log.error({ err }, 'recovery scan failed');
      return 0;
    } finally {
      this.recovering = false;
    }
  }

  private handler(op: OperationRecord): OperationHandler {
    const h = this.handlers.get(op.kind);
    if (!h) throw new Error(`no handler for operation kind ${op.kind}`);
    return h;
  }

  private async drive(opId: string, mode: 'fresh' | 'recover'): Promise<void> {
    const release = await this.slots.acquire();
    try {
      if (mode === 'fresh' && !(await takePending(this.ctx.db, opId, this.ctx.instanceId, this.ctx.leaseSeconds))) {
        return; // already running (or finished): another submit of the same operation got it first
      }
      const op = await findOperation(this.ctx.db, opId);
      if (!op) return;
      const handler = this.handler(op);
      const forward = mode === 'fresh' || (handler.recovery === 'finish' && op.state !== 'failed');
      const subject = await describeOperation(this.ctx.db, op);
      const started = Date.now();
      if (op.cleanupPending || !forward) {
        const action = handler.recovery === 'finish' && op.cleanupPending ? 'finished' : 'rolled back';
        const error = await this.undo(handler, op, new Error(op.error ?? INTERRUPTED));
        this.observer.recovered({ ...subject, action, ms: Date.now() - started, ...(error ? { error } : {}) });
      } else {
        const ok = await this.forward(handler, op, subject);
        if (mode === 'recover' && ok) this.observer.recovered({ ...subject, action: 'finished', ms: Date.now() - started });
      }
    } catch (err) {
      this.ctx.log.error({ err, op: opId }, 'operation driver failed');
    } finally {
      release();
    }
  }

  /** Runs exec + finalize; on an error rolls back. True when the operation succeeded. */
  private async forward(handler: OperationHandler, op: OperationRecord, subject: OperationSubject): Promise<boolean> {
    const log = this.ctx.log.child({ op: op.id, kind: op.kind });
    if (op.phase !== 'exec') await updateOperation(this.ctx.db, op.id, { state: 'running', phase: 'exec' });
    const started = Date.now();
    this.observer.started(subject);
    try {
      await handler.exec(this.ctx, op);
      await this.ctx.db.transaction(async (trx: Knex.Transaction) => {
        await updateOperation(trx, op.id, { phase: 'finalize' });
        const resultPath = await handler.finalize(trx, this.ctx, op);
        await updateOperation(trx, op.id, { state: 'succeeded', phase: 'done', resultPath });
      });
      this.observer.finished({ ...subject, outcome: 'succeeded', ms: Date.now() - started });
      return true;
    } catch (err) {
      log.warn({ err: operationErrorText(err), ms: Date.now() - started }, 'operation failed, rolling back');
      const undoError = await this.undo(handler, op, err instanceof Error ? err : new Error(String(err)));
      const error = operationErrorText(err) + (undoError ? `; undo incomplete: ${undoError}` : '');
      this.observer.finished({ ...subject, outcome: 'failed', ms: Date.now() - started, error });
      return false;
    }
  }

  /** Rolls back (or finishes a delete past its point of no return); the error text when it could not. */
  private async undo(handler: OperationHandler, op: OperationRecord, cause: Error): Promise<string | undefined> {
    const message = operationErrorText(cause);
    await updateOperation(this.ctx.db, op.id, { state: 'running', phase: 'rollback', error: message });
    try {
      const fresh = (await findOperation(this.ctx.db, op.id)) ?? op;
      if (handler.recovery === 'finish' && op.cleanupPending) {
        // A delete that got past the point of no return: finishing it is the only way back to consistency.
        await handler.exec(this.ctx, fresh);
        await this.ctx.db.transaction(async (trx: Knex.Transaction) => {
          await handler.finalize(trx, this.ctx, fresh);
          await updateOperation(trx, op.id, { state: 'failed', phase: 'done', cleanupPending: false });
        });
        return undefined;
      }
      await handler.rollback(this.ctx, fresh, cause);
      await updateOperation(this.ctx.db, op.id, { state: 'failed', phase: 'done', cleanupPending: false });
      return undefined;
    } catch (err) {
      this.ctx.log.error({ op: op.id, err: operationErrorText(err) }, 'undo incomplete; will retry');
      // Released (owner null) with its lease still running: claimable again once the lease lapses, which
      // spaces out retries while a node stays unreachable.
      await updateOperation(this.ctx.db, op.id, {
        state: 'failed',
        phase: 'rollback',
        cleanupPending: true,
        owner: null,
      });
      return operationErrorText(err);
    }
  }
}
