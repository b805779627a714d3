import type { Knex } from 'knex';
import { conflict, noSpace, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Brick, Volume } from '../../domain/model';
import { placeVolume, placementOptionsFrom } from '../../domain/placement';
import { findBricks, insertBricks, listBricksOfVolume, updateBricks } from '../../db/repositories/bricks';
import { findActiveOperationFor, insertOperation } from '../../db/repositories/operations';
import { findVolume, updateVolume } from '../../db/repositories/volumes';
import type { BrickAddress } from '../../executors/types';
import type { AppContext } from '../context';
import { bricksFrom, createBricks, destroyBricks } from '../bricks';
import { StaleSnapshot, reserveSpace } from '../reservations';
import { loadClusterSnapshots } from '../topology';
import { brickAddress, glusterVolumeSpec, onClusterHost } from '../volume-specs';
import { snapshotFactor } from '../volume-input';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const VOLUME_EXPAND = 'volume_expand';

/** Build phase: place new brick sets for the extra size in the volume's cluster, reserve, record. */
export async function startVolumeExpand(
  ctx: AppContext,
  volumeId: string,
  expandGib: number,
  initiator: Initiator,
): Promise<{ opId: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const volume = await findVolume(ctx.db, volumeId);
    if (!volume) throw notFound();
    if (volume.state !== 'online' || (await findActiveOperationFor(ctx.db, volumeId))) {
      throw conflict(`Volume ${volumeId} is busy with another operation`);
    }
    const existing = await listBricksOfVolume(ctx.db, volumeId);
    const options = placementOptionsFrom(volume.glusterVolumeOptions);
    const [cluster] = await loadClusterSnapshots(ctx.db, [volume.clusterId]);
    const result = placeVolume(
      cluster ? [{ ...cluster, volumeCount: 0 }] : [],
      {
        sizeGib: expandGib,
        durability: volume.durability,
        snapshotFactor: snapshotFactor(volume.snapshot),
        zoneChecking: options.zoneChecking ?? ctx.zoneChecking,
        tagRules: options.tagRules,
        arbiter: volume.arbiter,
        clusters: [volume.clusterId],
        firstSetIndex: Math.max(-1, ...existing.map((b) => b.setIndex)) + 1,
        existingBricks: existing.length,
      },
      ctx.limits,
    );
    if (!result.ok) throw noSpace(`Failed to allocate new volume: ${result.failure.message}`, result.failure);
    const bricks = bricksFrom(result.placement, volumeId);
    const opId = newId();
    try {
      await ctx.db.transaction(async (trx: Knex.Transaction) => {
        const locked = await findVolume(trx, volumeId, true);
        if (!locked || locked.state !== 'online' || (await findActiveOperationFor(trx, volumeId))) {
          throw conflict(`Volume ${volumeId} is busy with another operation`);
        }
        await reserveSpace(trx, bricks);
        await insertBricks(trx, bricks);
        await insertOperation(trx, {
          id: opId,
          kind: VOLUME_EXPAND,
          initiator,
          targetId: volumeId,
          payload: { volumeId, brickIds: bricks.map((b) => b.id), expandGib },
          owner: ctx.instanceId,
          leaseSeconds: ctx.leaseSeconds,
        });
      });
      return { opId };
    } catch (err) {
      if (err instanceof StaleSnapshot && attempt < 8) continue;
      throw err;
    }
  }
}

async function load(ctx: AppContext, db: Knex, payload: Record<string, unknown>) {
  const volume = await findVolume(db, String(payload.volumeId));
  if (!volume) throw new Error(`volume ${String(payload.volumeId)} disappeared`);
  const newBricks = await findBricks(db, payload.brickIds as string[]);
  const { nodes } = await glusterVolumeSpec(ctx, db, volume, newBricks);
  return { volume, newBricks, newAddresses: newBricks.map((b) => brickAddress(b, nodes)) };
}

/** Whether gluster already serves every new brick (add-brick went through). */
async function bricksAdded(ctx: AppContext, volume: Volume, addresses: BrickAddress[]): Promise<boolean> {
  const info = await onClusterHost(ctx, volume.clusterId, [], (host) => ctx.executor.volumeInfo(host, volume.name));
  return addresses.every((a) => info?.bricks.some((x) => x.host === a.host && x.path === a.path));
}

async function makeVisible(trx: Knex.Transaction, volume: Volume, newBricks: Brick[], expandGib: number) {
  await updateBricks(
    trx,
    newBricks.map((b) => b.id),
    { state: 'online' },
  );
  await updateVolume(trx, volume.id, { sizeGib: volume.sizeGib + expandGib });
}

export const volumeExpandHandler: OperationHandler = {
  kind: VOLUME_EXPAND,
  recovery: 'rollback',

  async exec(ctx, op) {
    const { volume, newBricks, newAddresses } = await load(ctx, ctx.db, op.payload);
    await createBricks(ctx, volume, newBricks);
    const all = await listBricksOfVolume(ctx.db, volume.id);
    const { spec } = await glusterVolumeSpec(ctx, ctx.db, volume, all);
    try {
      await onClusterHost(ctx, volume.clusterId, [all[0]!.nodeId], (host) =>
        ctx.executor.volumeExpand(host, spec, newAddresses),
      );
    } catch (err) {
      // A failure after add-brick (the rebalance start) leaves a grown, working volume: keep it.
      if (!(await bricksAdded(ctx, volume, newAddresses))) throw err;
      ctx.log.warn({ volume: volume.id, err: (err as Error).message }, 'expand: bricks added, later step failed');
    }
  },

  async finalize(trx, ctx, op) {
    const { volume, newBricks } = await load(ctx, trx, op.payload);
    await makeVisible(trx, volume, newBricks, Number(op.payload.expandGib));
    return `/volumes/${volume.id}`;
  },

  async rollback(ctx, op) {
    const { volume, newBricks, newAddresses } = await load(ctx, ctx.db, op.payload);
    if (newBricks.length > 0 && (await bricksAdded(ctx, volume, newAddresses))) {
      // Interrupted after gluster took the bricks: undoing would need remove-brick and a data migration, so
      // the expansion is kept and made visible instead.
      await ctx.db.transaction((trx: Knex.Transaction) =>
        makeVisible(trx, volume, newBricks, Number(op.payload.expandGib)),
      );
      return;
    }
    await destroyBricks(ctx, volume, newBricks);
  },
};
