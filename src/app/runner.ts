import type { Knex } from 'knex';
import { DomainError, noSpace } from '../domain/errors';
import { newId } from '../domain/ids';
import {
  claimAbandoned,
  insertOperation,
  pruneFinished,
  renewLeases,
  takePending,
  updateHeldOperation,
  type OperationChanges,
} from '../db/repositories/operations';
import type { Initiator, OperationRecord } from '../domain/operation';
import type { AppContext } from './context';
import { describeOperation, silentObserver, type OperationObserver, type OperationSubject } from './observer';
import { OperationLost, OperationRun } from './operation-run';
import type { AnyOperation, Built, RollbackOutcome } from './operations/operation';
import { StaleSnapshot } from './reservations';
import { Semaphore } from './semaphore';
import { withLogContext } from '../log-context';

export const INTERRUPTED = 'operation interrupted: the server stopped before it finished; its changes were undone';
/** Builds tried before a request that keeps losing its placement to concurrent ones gives up. */
export const PLACEMENT_ATTEMPTS = 8;

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

/** The text a client sees in /queue for a failed operation. */
export function operationErrorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Build phase, common to every operation: the definition's build in one transaction, retried from fresh
 * data when its placement went stale or a concurrent request took a unique name first (the retry then finds
 * that request's operation), then the operation recorded in the same transaction.
 */
export async function beginOperation<Input>(
  ctx: AppContext,
  def: AnyOperation,
  input: Input,
  initiator: Initiator,
): Promise<{ opId: string; targetId?: string }> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await ctx.db.transaction(async (trx: Knex.Transaction) => {
        const built: Built<unknown> = await def.build({ trx, ctx, initiator }, input);
        if (built.kind === 'existing') return { opId: built.opId };
        const opId = newId();
        await insertOperation(trx, {
          id: opId,
          kind: def.kind,
          initiator,
          targetId: built.targetId,
          payload: built.kind === 'record' ? def.payload.parse(built.payload) : {},
          owner: ctx.instanceId,
          leaseSeconds: ctx.leaseSeconds,
          ...(built.kind === 'done' ? { state: 'succeeded' as const, resultPath: built.resultPath } : {}),
        });
        return { opId, targetId: built.targetId };
      });
    } catch (err) {
      const retry = err instanceof StaleSnapshot || isUniqueViolation(err);
      if (retry && attempt < PLACEMENT_ATTEMPTS) continue;
      if (err instanceof StaleSnapshot) {
        throw noSpace('Failed to allocate new volume: No space (devices kept changing under concurrent requests)');
      }
      throw err;
    }
  }
}

/** How driving an operation ended for this server. */
type Ending = 'succeeded' | 'kept' | 'undone' | 'handed back' | 'cleanup pending';

/**
 * Drives recorded operations through exec -> finalize (or rollback) with a bounded number in flight, keeps
 * the leases of what it holds alive, and takes over operations whose holder stopped renewing. Every write is
 * fenced by owner and generation (OperationRun.write); status lives only in the database.
 */
export class OperationRunner {
  private readonly definitions = new Map<string, AnyOperation>();
  private readonly slots: Semaphore;
  private readonly running = new Set<Promise<void>>();
  /** Operations this server holds right now, by id. */
  private readonly held = new Map<string, OperationRun<unknown>>();
  private leaseTimer?: NodeJS.Timeout;
  private recoveryTimer?: NodeJS.Timeout;
  private stopping = false;
  private recovering = false;
  /** Requests admitted that have not submitted their operation yet. */
  private admitted = 0;
  /** Operations this server was handed or took over and has not finished driving, by id. */
  private readonly driving = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    definitions: AnyOperation[],
    private readonly observer: OperationObserver = silentObserver,
  ) {
    for (const d of definitions) this.definitions.set(d.kind, d);
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
    this.trackOperation(opId, withLogContext({ op: opId }, () => this.drive(opId)));
  }

  /**
   * Resolves when this server has finished driving the operation, or after `ms`, whichever is first; at
   * once if this server is not driving it. The queue route waits here so that a poll of a short operation
   * answers its end instead of "pending" (the answer itself is always read from the database).
   */
  async settled(opId: string, ms: number): Promise<void> {
    const driving = this.driving.get(opId);
    if (!driving || ms <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([driving, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
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

  private trackOperation(opId: string, p: Promise<void>): void {
    this.track(p);
    // a second submit of an operation already being driven ends at once: the first keeps its place here
    if (!this.driving.has(opId)) this.driving.set(opId, p);
    void p.finally(() => {
      if (this.driving.get(opId) === p) this.driving.delete(opId);
    });
  }

  /** Renews what this server holds, each at its generation; a run whose row did not renew was lost. */
  private async renew(): Promise<void> {
    const runs = [...this.held.values()];
    if (runs.length === 0) return;
    const at = Date.now();
    try {
      const renewed = await renewLeases(
        this.ctx.db,
        this.ctx.instanceId,
        runs.map((r) => ({ id: r.id, generation: r.holder.generation })),
        this.ctx.leaseSeconds,
      );
      for (const run of runs) if (renewed.has(run.id)) run.renewed(at);
    } catch (err) {
      this.ctx.log.error({ err }, 'lease renewal failed');
    }
  }

  async recoverAbandoned(): Promise<number> {
    if (this.recovering || this.stopping) return 0;
    this.recovering = true;
    try {
      const claimed = await this.ctx.db.transaction((trx: Knex.Transaction) =>
        claimAbandoned(trx, this.ctx.instanceId, this.ctx.leaseSeconds, 16),
      );
      for (const op of claimed) {
        this.ctx.log.warn({ op: op.id, kind: op.kind, state: op.state, phase: op.phase }, 'recovering operation');
        this.trackOperation(op.id, withLogContext({ op: op.id }, () => this.recover(op)));
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

  private definition(op: OperationRecord): AnyOperation {
    const d = this.definitions.get(op.kind);
    if (!d) throw new Error(`no definition for operation kind ${op.kind}`);
    return d;
  }

  /** A fresh operation: taken from pending (once, whoever else was handed it), then driven forward. */
  private async drive(opId: string): Promise<void> {
    const release = await this.slots.acquire();
    try {
      const at = Date.now();
      const op = await takePending(this.ctx.db, opId, this.ctx.instanceId, this.ctx.leaseSeconds);
      if (!op) return; // already running (or finished): another submit of the same operation got it first
      await this.hold(op, at, async (def, run) => {
        await this.forward(def, run, await describeOperation(this.ctx.db, op));
      });
    } catch (err) {
      this.ctx.log.error({ err, op: opId }, 'operation driver failed');
    } finally {
      release();
    }
  }

  /**
   * An operation taken over (its holder's lease lapsed, or an undo is to be retried): first wait on every
   * host it may have touched until no command of the previous holder can still run there, then finish it or
   * undo it as its definition says.
   */
  private async recover(op: OperationRecord): Promise<void> {
    const release = await this.slots.acquire();
    try {
      const at = Date.now();
      await this.hold(op, at, async (def, run) => {
        try {
          const hosts = await def.hosts(run);
          await Promise.all(hosts.map((h) => this.ctx.executor.barrier(h, { id: op.id, generation: op.generation })));
        } catch (err) {
          if (err instanceof OperationLost) throw err;
          await this.giveBack(run, `waiting for the previous holder's commands failed: ${operationErrorText(err)}`);
          return;
        }
        // Never started (its server died between recording and taking it): nothing to undo, run it.
        const fresh = op.state === 'pending';
        const finishing = def.recovery === 'finish' && op.state !== 'failed';
        const subject = await describeOperation(this.ctx.db, op);
        const started = Date.now();
        const error = op.error ?? INTERRUPTED;
        const ending = fresh || finishing ? await this.forward(def, run, subject) : await this.undo(def, run, new Error(error));
        const action = ending === 'succeeded' || ending === 'kept' ? 'finished' : 'rolled back';
        // an error here means the recovery itself is not complete yet (it will be retried)
        const incomplete = ending === 'cleanup pending' || ending === 'handed back';
        this.observer.recovered({ ...subject, action, ms: Date.now() - started, ...(incomplete ? { error } : {}) });
      });
    } catch (err) {
      this.ctx.log.error({ err, op: op.id }, 'operation recovery failed');
    } finally {
      release();
    }
  }

  /** Loads the typed payload and keeps the run registered (for renewals) while `work` drives it. */
  private async hold(
    op: OperationRecord,
    at: number,
    work: (def: AnyOperation, run: OperationRun<unknown>) => Promise<void>,
  ): Promise<void> {
    const def = this.definition(op);
    const parsed = def.payload.safeParse(op.payload);
    const run = new OperationRun<unknown>(this.ctx, op, parsed.success ? parsed.data : op.payload, at);
    this.held.set(op.id, run);
    try {
      if (!parsed.success) {
        // A record this version cannot read: stop, and say why, rather than guess.
        await this.settle(run, { state: 'failed', phase: 'done', error: `unreadable operation record: ${parsed.error.message}` });
        return;
      }
      await work(def, run);
    } catch (err) {
      if (!(err instanceof OperationLost)) throw err;
      this.ctx.log.warn({ op: op.id, kind: op.kind, generation: op.generation }, 'operation lost to another server; stopped');
    } finally {
      this.held.delete(op.id);
    }
  }

  /** exec + finalize; on an error, the undo. Says how it ended. */
  private async forward(def: AnyOperation, run: OperationRun<unknown>, subject: OperationSubject): Promise<Ending> {
    const log = this.ctx.log.child({ op: run.id, kind: def.kind });
    const started = Date.now();
    this.observer.started(subject);
    try {
      // takePending (and a recovery's claim of a running exec) already left the record running in exec
      if (run.record.state !== 'running' || run.record.phase !== 'exec') {
        await run.write((trx) => updateHeldOperation(trx, run.id, run.holder, { state: 'running', phase: 'exec' }));
      }
      await def.exec(run);
      await run.write(async (trx) => {
        const resultPath = await def.finalize(trx, run);
        await this.record(trx, run, { state: 'succeeded', phase: 'done', resultPath, error: null, cleanupPending: false });
      });
      this.observer.finished({ ...subject, outcome: 'succeeded', ms: Date.now() - started });
      return 'succeeded';
    } catch (err) {
      if (err instanceof OperationLost) throw err;
      log.warn({ err: operationErrorText(err), ms: Date.now() - started }, 'operation failed, rolling back');
      const ending = await this.undo(def, run, err instanceof Error ? err : new Error(String(err)));
      const outcome = ending === 'kept' ? 'succeeded' : 'failed';
      this.observer.finished({ ...subject, outcome, ms: Date.now() - started, error: operationErrorText(err) });
      return ending;
    }
  }

  /** Rollback, then the record says what really happened. */
  private async undo(def: AnyOperation, run: OperationRun<unknown>, cause: Error): Promise<Ending> {
    const message = operationErrorText(cause);
    let outcome: RollbackOutcome;
    try {
      await run.write((trx) => updateHeldOperation(trx, run.id, run.holder, { state: 'running', phase: 'rollback' }));
      outcome = await def.rollback(run, cause);
    } catch (err) {
      if (err instanceof OperationLost) throw err;
      this.ctx.log.error({ op: run.id, err: operationErrorText(err) }, 'undo incomplete; will retry');
      // The operation failed; what it left behind is cleaned up by whoever claims it after the lease lapses,
      // which spaces out retries while a node stays unreachable.
      await this.settle(run, { state: 'failed', phase: 'rollback', error: message, cleanupPending: true, owner: null });
      return 'cleanup pending';
    }
    if (outcome.kind === 'kept') {
      await this.settle(run, { state: 'succeeded', phase: 'done', resultPath: outcome.resultPath, error: null, cleanupPending: false });
      return 'kept';
    }
    if (outcome.kind === 'finish') {
      // Past its point of no return: still running as far as clients can tell; driven forward again later.
      await this.giveBack(run, message);
      return 'handed back';
    }
    await this.settle(run, { state: 'failed', phase: 'done', error: message, cleanupPending: false });
    return 'undone';
  }

  /** Hands the operation back (owner cleared, lease left to lapse), to be claimed and retried later. */
  private async giveBack(run: OperationRun<unknown>, error: string): Promise<void> {
    await this.settle(run, { state: 'running', phase: 'exec', error, owner: null });
  }

  private async settle(run: OperationRun<unknown>, changes: OperationChanges): Promise<void> {
    await run.write((trx) => this.record(trx, run, changes));
  }

  private async record(trx: Knex.Transaction, run: OperationRun<unknown>, changes: OperationChanges): Promise<void> {
    if (!(await updateHeldOperation(trx, run.id, run.holder, changes))) throw new OperationLost(run.id);
  }
}
