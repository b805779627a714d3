import type { Knex } from 'knex';
import type { AppContext } from '../context';
import type { OperationRecord } from '../../domain/operation';

/**
 * One kind of long operation, in Heketi's phases. The build phase (one transaction that reserves space and
 * records what will be made, plus the operation row) is done by the operation's `start...` function before
 * the client gets its 202; the runner then drives these:
 *  - exec: the remote work; reads the database, writes only progress markers;
 *  - finalize: one transaction that makes the result visible; returns the result path for /queue (or null);
 *  - rollback: after an exec error, undo what exec made (tolerating pieces never made) and release the
 *    reservation, as if build and exec never ran; throws if a node could not be reached, and the cleaner
 *    retries it later;
 *  - recover: after a crash (lease expired) or a rollback that could not finish: roll back or roll forward.
 */
export interface OperationHandler {
  readonly kind: string;
  exec(ctx: AppContext, op: OperationRecord): Promise<void>;
  finalize(trx: Knex.Transaction, ctx: AppContext, op: OperationRecord): Promise<string | null>;
  rollback(ctx: AppContext, op: OperationRecord, cause: Error): Promise<void>;
  /** 'rollback': undo (creates); 'finish': run exec + finalize again (deletes, which cannot be undone). */
  readonly recovery: 'rollback' | 'finish';
}

/** The text a client sees in /queue for a failed operation. */
export function operationErrorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
