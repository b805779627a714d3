/** The vocabulary of a queued operation, as the runner, the queue and the routes see it. */
export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed';
export type OperationPhase = 'build' | 'exec' | 'finalize' | 'rollback' | 'done';
/** Who asked for the operation: decides who may read its queue entry. */
export type Initiator = 'admin' | 'user';

export interface OperationRecord {
  id: string;
  kind: string;
  state: OperationState;
  phase: OperationPhase;
  initiator: Initiator;
  targetId: string | null;
  resultPath: string | null;
  error: string | null;
  /** As stored; each operation's definition validates it when it is loaded. */
  payload: unknown;
  cleanupPending: boolean;
  attempts: number;
  owner: string | null;
  /** Raised at every takeover; writes for the operation check it (fencing). */
  generation: number;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}
