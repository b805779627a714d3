import { z } from 'zod';
import type { Knex } from 'knex';
import { conflict, noSpace, notFound } from '../../domain/errors';
import type { Brick, Volume } from '../../domain/model';
import { placeVolume, placementOptionsFrom } from '../../domain/placement';
import { findBricks, insertBricks, listBricksOfVolume, updateBricks } from '../../db/repositories/bricks';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { findVolume, updateVolume } from '../../db/repositories/volumes';
import type { BrickAddress } from '../../executors/types';
import type { AppContext } from '../context';
import type { OperationRun } from '../operation-run';
import { bricksFrom, createBricks, destroyBricks } from '../bricks';
import { reserveSpace } from '../reservations';
import { loadClusterSnapshots } from '../topology';
import { brickAddress, clusterHosts, glusterVolumeSpec, onClusterHost } from '../volume-specs';
import { snapshotFactor } from '../volume-input';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const VOLUME_EXPAND = 'volume_expand';

export interface VolumeExpandInput {
  volumeId: string;
  expandGib: number;
}

const Payload = z.object({
  volumeId: z.string(),
  brickIds: z.array(z.string()),
  expandGib: z.number().int().positive(),
});
type Payload = z.infer<typeof Payload>;

async function load(ctx: AppContext, db: Knex, payload: Payload) {
  const volume = await findVolume(db, payload.volumeId);
  if (!volume) throw new Error(`volume ${payload.volumeId} disappeared`);
  const newBricks = await findBricks(db, payload.brickIds);
  const { nodes } = await glusterVolumeSpec(ctx, db, volume, newBricks);
  return { volume, newBricks, newAddresses: newBricks.map((b) => brickAddress(b, nodes)) };
}

/** Whether gluster already serves every new brick (add-brick went through). */
async function bricksAdded(run: OperationRun<Payload>, volume: Volume, addresses: BrickAddress[]): Promise<boolean> {
  const info = await onClusterHost(run.ctx, volume.clusterId, [], (host) => run.executor.volumeInfo(host, volume.name));
  return addresses.every((a) => info?.bricks.some((x) => x.host === a.host && x.path === a.path));
}

async function makeVisible(trx: Knex.Transaction, volume: Volume, newBricks: Brick[], payload: Payload) {
  expectRows(await updateBricks(trx, newBricks.map((b) => b.id), { state: 'online' }), payload.brickIds.length, 'new bricks');
  expectRows(await updateVolume(trx, volume.id, { sizeGib: volume.sizeGib + payload.expandGib }), 1, 'the volume');
}

export const volumeExpand: OperationDefinition<VolumeExpandInput, Payload> = {
  kind: VOLUME_EXPAND,
  payload: Payload,
  recovery: 'rollback',

  /** Place new brick sets for the extra size in the volume's cluster, reserve, record. */
  async build({ trx, ctx }, { volumeId, expandGib }) {
    const volume = await findVolume(trx, volumeId, true);
    if (!volume) throw notFound();
    if (volume.state !== 'online' || (await findActiveOperationFor(trx, volumeId))) {
      throw conflict(`Volume ${volumeId} is busy with another operation`);
    }
    const existing = await listBricksOfVolume(trx, volumeId);
    const options = placementOptionsFrom(volume.glusterVolumeOptions);
    const [cluster] = await loadClusterSnapshots(trx, [volume.clusterId]);
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
    await reserveSpace(trx, bricks);
    await insertBricks(trx, bricks);
    return { kind: 'record', targetId: volumeId, payload: { volumeId, brickIds: bricks.map((b) => b.id), expandGib } };
  },

  async exec(run) {
    const { ctx } = run;
    const { volume, newBricks, newAddresses } = await load(ctx, ctx.db, run.payload);
    await createBricks(run, volume, newBricks);
    const all = await listBricksOfVolume(ctx.db, volume.id);
    const { spec } = await glusterVolumeSpec(ctx, ctx.db, volume, all);
    try {
      await onClusterHost(ctx, volume.clusterId, [all[0]!.nodeId], (host) => run.executor.volumeExpand(host, spec, newAddresses));
    } catch (err) {
      // A failure after add-brick (the rebalance start) leaves a grown, working volume: keep it.
      if (!(await bricksAdded(run, volume, newAddresses))) throw err;
      ctx.log.warn({ volume: volume.id, err: (err as Error).message }, 'expand: bricks added, later step failed');
    }
  },

  async finalize(trx, run) {
    const { volume, newBricks } = await load(run.ctx, trx, run.payload);
    await makeVisible(trx, volume, newBricks, run.payload);
    return `/volumes/${volume.id}`;
  },

  async rollback(run) {
    const { volume, newBricks, newAddresses } = await load(run.ctx, run.ctx.db, run.payload);
    if (newBricks.length > 0 && (await bricksAdded(run, volume, newAddresses))) {
      // Gluster took the bricks: undoing would need remove-brick and a data migration, so the expansion
      // is kept, made visible, and recorded as the success it is.
      await run.write((trx) => makeVisible(trx, volume, newBricks, run.payload));
      return { kind: 'kept', resultPath: `/volumes/${volume.id}` };
    }
    await destroyBricks(run, volume, newBricks);
    return UNDONE;
  },

  async hosts(run) {
    const volume = await findVolume(run.ctx.db, run.payload.volumeId);
    return volume ? clusterHosts(run.ctx.db, volume.clusterId) : [];
  },
};
