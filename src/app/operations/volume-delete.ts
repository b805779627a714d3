import { z } from 'zod';
import { conflict, notFound } from '../../domain/errors';
import { listBricksOfVolume } from '../../db/repositories/bricks';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { deleteVolume, findVolume, updateVolume } from '../../db/repositories/volumes';
import { destroyBricks } from '../bricks';
import { clusterHosts, clusterNodes, onClusterHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const VOLUME_DELETE = 'volume_delete';

const Payload = z.object({
  volumeId: z.string(),
  /** Past this point the data is gone: the delete can only go forward. */
  glusterVolumeDeleted: z.boolean(),
});
type Payload = z.infer<typeof Payload>;

export const volumeDelete: OperationDefinition<string, Payload> = {
  kind: VOLUME_DELETE,
  payload: Payload,
  recovery: 'finish',

  /**
   * Mark the volume deleting. A DELETE of a volume already being deleted gets the operation doing it (a
   * retried request, or a delete past the point of no return being finished); a delete that failed before
   * that point left the volume online, so it starts afresh.
   */
  async build({ trx }, volumeId) {
    const volume = await findVolume(trx, volumeId, true);
    if (!volume) throw notFound();
    const active = await findActiveOperationFor(trx, volumeId);
    if (active?.kind === VOLUME_DELETE) return { kind: 'existing', opId: active.id };
    if (active || volume.state === 'pending') throw conflict(`Volume ${volumeId} is busy with another operation`);
    await updateVolume(trx, volumeId, { state: 'deleting' });
    return { kind: 'record', targetId: volumeId, payload: { volumeId, glusterVolumeDeleted: false } };
  },

  async exec(run) {
    const { ctx } = run;
    const volume = await findVolume(ctx.db, run.payload.volumeId);
    if (!volume) return;
    const bricks = await listBricksOfVolume(ctx.db, volume.id);
    // the cluster's nodes, read once: the gluster host and the bricks' hosts
    const nodes = await clusterNodes(ctx.db, volume.clusterId);
    if (!run.payload.glusterVolumeDeleted) {
      await onClusterHost(
        ctx,
        volume.clusterId,
        bricks.map((b) => b.nodeId),
        (host) => run.executor.volumeDestroy(host, volume.name),
        nodes,
      );
      await run.save({ ...run.payload, glusterVolumeDeleted: true });
    }
    await destroyBricks(run, volume, bricks, new Map(nodes.map((n) => [n.id, n])));
  },

  async finalize(trx, run) {
    expectRows(await deleteVolume(trx, run.payload.volumeId), 1, 'the deleted volume');
    return null;
  },

  async rollback(run) {
    if (run.payload.glusterVolumeDeleted) return { kind: 'finish' };
    await run.write(async (trx) => expectRows(await updateVolume(trx, run.payload.volumeId, { state: 'online' }), 1, 'the volume'));
    return UNDONE;
  },

  async hosts(run) {
    const volume = await findVolume(run.ctx.db, run.payload.volumeId);
    return volume ? clusterHosts(run.ctx.db, volume.clusterId) : [];
  },
};
