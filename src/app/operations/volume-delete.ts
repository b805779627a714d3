import type { Knex } from 'knex';
import { conflict, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { listBricksOfVolume } from '../../db/repositories/bricks';
import {
  findActiveOperationFor,
  insertOperation,
  updateOperation,
} from '../../db/repositories/operations';
import { deleteVolume, findVolume, updateVolume } from '../../db/repositories/volumes';
import type { AppContext } from '../context';
import { destroyBricks } from '../bricks';
import { onClusterHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const VOLUME_DELETE = 'volume_delete';

/**
 * Build phase: mark the volume deleting and record the operation. A DELETE of a volume already being deleted
 * gets the operation doing it (a retried request, or a delete past the point of no return that the cleaner is
 * finishing); a delete that failed before that point left the volume online, so it starts afresh.
 */
export async function startVolumeDelete(ctx: AppContext, volumeId: string, initiator: Initiator): Promise<{ opId: string }> {
  let opId = newId();
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    const volume = await findVolume(trx, volumeId, true);
    if (!volume) throw notFound();
    const active = await findActiveOperationFor(trx, volumeId);
    if (active?.kind === VOLUME_DELETE) {
      opId = active.id;
      return;
    }
    if (active || volume.state === 'pending') throw conflict(`Volume ${volumeId} is busy with another operation`);
    await updateVolume(trx, volumeId, { state: 'deleting' });
    await insertOperation(trx, {
      id: opId,
      kind: VOLUME_DELETE,
      initiator,
      targetId: volumeId,
      payload: { volumeId, glusterVolumeDeleted: false },
      owner: ctx.instanceId,
      leaseSeconds: ctx.leaseSeconds,
    });
  });
  return { opId };
}

export const volumeDeleteHandler: OperationHandler = {
  kind: VOLUME_DELETE,
  recovery: 'finish',

  async exec(ctx, op) {
    const volume = await findVolume(ctx.db, String(op.payload.volumeId));
    if (!volume) return;
    const bricks = await listBricksOfVolume(ctx.db, volume.id);
    await onClusterHost(
      ctx,
      volume.clusterId,
      bricks.map((b) => b.nodeId),
      (host) => ctx.executor.volumeDestroy(host, volume.name),
    );
    // Past this point the data is gone: the operation can only go forward.
    await updateOperation(ctx.db, op.id, { payload: { ...op.payload, glusterVolumeDeleted: true } });
    op.payload.glusterVolumeDeleted = true;
    await destroyBricks(ctx, volume, bricks);
  },

  async finalize(trx, _ctx, op) {
    await deleteVolume(trx, String(op.payload.volumeId));
    return null;
  },

  async rollback(ctx, op, cause) {
    if (op.payload.glusterVolumeDeleted) {
      // Cannot be undone; the cleaner finishes it (recovery 'finish').
      throw cause;
    }
    await updateVolume(ctx.db, String(op.payload.volumeId), { state: 'online' });
  },
};
