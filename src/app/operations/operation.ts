import type { Knex } from 'knex';
import type { z } from 'zod';
import type { Initiator } from '../../domain/operation';
import type { AppContext } from '../context';
import type { OperationRun } from '../operation-run';

/**
 * One kind of long operation, in Heketi's phases, as one object. The runner owns everything common:
 * admission, the build transaction and its retry on a stale placement, recording, leases, fencing, recovery
 * and every state transition. An operation holds only what is particular to it.
 *
 *  - build: inside the runner's transaction, check the request, reserve what it needs and say what to
 *    record (or hand back an operation already doing the same thing). Throwing StaleSnapshot makes the
 *    runner build again from fresh data.
 *  - exec: the remote work. Reads freely; writes only through `run.write` / `run.save` (fenced).
 *  - finalize: in the runner's fenced transaction, make the result visible; returns the result path.
 *    Checks the rows it changes (expectRows): a finalize that finds less than it expects aborts.
 *  - rollback: after an exec error or a crash, undo what exec made (tolerating pieces never made) and say
 *    what really happened: undone, kept (the work went far enough to be kept: recorded as succeeded) or
 *    finish (cannot be undone: the runner keeps driving it forward).
 *  - recovery: what a server taking the operation over does: 'rollback' (undo, then record the truth) or
 *    'finish' (exec + finalize again; every step is idempotent).
 *  - hosts: the storage hosts its remote commands may run on; recovery waits on each until no command of
 *    the previous owner can still be running there.
 */
export interface OperationDefinition<Input, Payload> {
  readonly kind: string;
  readonly payload: z.ZodType<Payload>;
  readonly recovery: 'rollback' | 'finish';
  build(b: BuildScope, input: Input): Promise<Built<Payload>>;
  exec(run: OperationRun<Payload>): Promise<void>;
  finalize(trx: Knex.Transaction, run: OperationRun<Payload>): Promise<string | null>;
  rollback(run: OperationRun<Payload>, cause: Error): Promise<RollbackOutcome>;
  hosts(run: OperationRun<Payload>): Promise<string[]>;
}

/** What build is given: the runner's transaction, the context and who asked. */
export interface BuildScope {
  trx: Knex.Transaction;
  ctx: AppContext;
  initiator: Initiator;
}

export type Built<Payload> =
  /** Record a new operation on `targetId` with this payload; the runner drives it. */
  | { kind: 'record'; targetId: string; payload: Payload; extra?: Record<string, string> }
  /** The same request is already in flight (or done): answer with that operation's queue entry. */
  | { kind: 'existing'; opId: string }
  /** Nothing to do remotely: recorded as finished at once, with this result. */
  | { kind: 'done'; targetId: string; resultPath: string | null };

export type RollbackOutcome = { kind: 'undone' } | { kind: 'kept'; resultPath: string | null } | { kind: 'finish' };

export const UNDONE: RollbackOutcome = { kind: 'undone' };

// Definitions of different payloads live in one registry; the runner validates each payload on load.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = OperationDefinition<any, any>;

/** A change in the database that should have touched rows it did not find: someone else changed them. */
export class UnexpectedState extends Error {}

/** Aborts the surrounding transaction when a write changed fewer rows than it had to. */
export function expectRows(changed: number | boolean, expected: number, what: string): void {
  const n = typeof changed === 'boolean' ? Number(changed) : changed;
  if (n !== expected) throw new UnexpectedState(`${what}: expected ${expected} row(s), changed ${n}`);
}
