import type { Knex } from 'knex';
import type { Initiator, OperationRecord } from '../domain/operation';
import { findVolume } from '../db/repositories/volumes';

/** Which operation an event is about, in the words an operator searches logs for. */
export interface OperationSubject {
  id: string;
  kind: string;
  initiator: Initiator;
  volumeId?: string;
  volumeName?: string;
}

export type OperationOutcome = 'succeeded' | 'failed';

/**
 * What the runner tells about every operation it drives: its start, its end (with how long it took) and, for
 * one taken over after a crash or a failed undo, what the recovery did. Implementations log and count; they
 * must not throw.
 */
export interface OperationObserver {
  started(e: OperationSubject): void;
  finished(e: OperationSubject & { outcome: OperationOutcome; ms: number; error?: string }): void;
  recovered(e: OperationSubject & { action: 'rolled back' | 'finished'; ms: number; error?: string }): void;
}

export const silentObserver: OperationObserver = {
  started() {},
  finished() {},
  recovered() {},
};

/** The subject of an operation, read once before it runs (a delete's volume is gone when it ends). */
export async function describeOperation(db: Knex, op: OperationRecord): Promise<OperationSubject> {
  const subject: OperationSubject = { id: op.id, kind: op.kind, initiator: op.initiator };
  if (op.kind.startsWith('volume_') && op.targetId) {
    subject.volumeId = op.targetId;
    const volume = await findVolume(db, op.targetId).catch(() => undefined);
    if (volume) subject.volumeName = volume.name;
  }
  return subject;
}
