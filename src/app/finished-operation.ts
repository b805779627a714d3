import { newId } from '../domain/ids';
import { insertOperation } from '../db/repositories/operations';
import type { Knex } from 'knex';
import type { AppContext } from './context';
import type { Initiator } from '../domain/operation';

/**
 * Heketi answers some quick changes (node/device state online/offline) with 202 too. They need no remote
 * work, so they are recorded already finished and the queue answers at once.
 */
export async function recordFinished(
  ctx: AppContext,
  db: Knex,
  kind: string,
  initiator: Initiator,
  targetId: string | null,
  resultPath: string | null = null,
): Promise<{ opId: string }> {
  const opId = newId();
  await insertOperation(db, {
    id: opId,
    kind,
    initiator,
    targetId,
    payload: {},
    owner: ctx.instanceId,
    leaseSeconds: ctx.leaseSeconds,
    state: 'succeeded',
    resultPath,
  });
  return { opId };
}
