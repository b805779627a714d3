import { z } from 'zod';
import type { Knex } from 'knex';
import { conflict, DomainError, noSpace } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Volume } from '../../domain/model';
import { placeVolume, placementOptionsFrom } from '../../domain/placement';
import type { VolumePlacement, VolumePlacementRequest } from '../../domain/placement/types';
import { insertBricks, listBricksOfVolume, updateBricksOfVolume } from '../../db/repositories/bricks';
import { findCluster } from '../../db/repositories/clusters';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { deleteVolume, findVolume, findVolumeByName, insertVolume, updateVolume } from '../../db/repositories/volumes';
import type { AppContext } from '../context';
import { bricksFrom, createBricks, destroyBricks } from '../bricks';
import { StaleSnapshot, reserveSpace } from '../reservations';
import { loadClusterSnapshots } from '../topology';
import { clusterHosts, clusterNodes, glusterVolumeSpec, onClusterHost } from '../volume-specs';
import { sameRequest, snapshotFactor, type VolumeCreateInput } from '../volume-input';
import { expectRows, UNDONE, UnexpectedState, type Built, type OperationDefinition } from './operation';

export const VOLUME_CREATE = 'volume_create';

async function checkClusters(db: Knex, clusters: string[]): Promise<void> {
  for (const id of clusters) {
    if (!(await findCluster(db, id))) throw new DomainError('validation', `Cluster id ${id} not found`);
  }
}

/** What the allocator is asked for a create request (its options decide zones, tags and arbiter). */
export function placementRequestFor(ctx: Pick<AppContext, 'zoneChecking'>, input: VolumeCreateInput): VolumePlacementRequest {
  const options = placementOptionsFrom(input.glusterVolumeOptions);
  return {
    sizeGib: input.sizeGib,
    durability: input.durability,
    snapshotFactor: snapshotFactor(input.snapshot),
    zoneChecking: options.zoneChecking ?? ctx.zoneChecking,
    tagRules: options.tagRules,
    arbiter: options.arbiter,
    clusters: input.clusters,
  };
}

/** The volume record of a create request placed in a cluster. */
export function volumeRecord(input: VolumeCreateInput, placement: VolumePlacement, state: Volume['state']): Volume {
  const id = newId();
  return {
    id,
    clusterId: placement.clusterId,
    name: input.name ?? `vol_${id}`,
    sizeGib: input.sizeGib,
    durability: input.durability,
    gid: input.gid,
    snapshot: input.snapshot,
    glusterVolumeOptions: input.glusterVolumeOptions,
    arbiter: placementOptionsFrom(input.glusterVolumeOptions).arbiter,
    state,
  };
}

/** Where the volume would go, from the current topology, reserving nothing (also the dry run). */
export async function planVolume(ctx: AppContext, input: VolumeCreateInput, db: Knex = ctx.db): Promise<VolumePlacement> {
  await checkClusters(db, input.clusters);
  const snapshots = await loadClusterSnapshots(db, input.clusters.length > 0 ? input.clusters : undefined);
  const result = placeVolume(snapshots, placementRequestFor(ctx, input), ctx.limits);
  if (!result.ok) throw noSpace(`Failed to allocate new volume: ${result.failure.message}`, result.failure);
  return result.placement;
}

/**
 * A create whose name exists: the same request gets the operation still making it, or a finished entry
 * pointing at the volume; a different request under that name is a conflict.
 */
async function existingCreate(trx: Knex.Transaction, input: VolumeCreateInput): Promise<Built<Payload> | undefined> {
  if (!input.name) return undefined;
  const existing = await findVolumeByName(trx, input.name);
  if (!existing) return undefined;
  if (!sameRequest(existing, input) || existing.state === 'deleting') {
    throw conflict(`Volume name ${input.name} is already in use by volume ${existing.id}`);
  }
  const active = await findActiveOperationFor(trx, existing.id);
  if (active) return { kind: 'existing', opId: active.id };
  return { kind: 'done', targetId: existing.id, resultPath: `/volumes/${existing.id}` };
}

const Payload = z.object({
  volumeId: z.string(),
  /** Recorded before `gluster volume create` is sent, so an undo knows there may be a volume to remove. */
  glusterCreateStarted: z.boolean(),
});
type Payload = z.infer<typeof Payload>;

async function load(db: Knex, payload: Payload) {
  const volume = await findVolume(db, payload.volumeId);
  if (!volume) throw new Error(`volume ${payload.volumeId} disappeared`);
  return { volume, bricks: await listBricksOfVolume(db, volume.id) };
}

export const volumeCreate: OperationDefinition<VolumeCreateInput, Payload> = {
  kind: VOLUME_CREATE,
  payload: Payload,
  recovery: 'rollback',

  /** Place, reserve the space (row locks, re-checked), record the volume and its bricks as pending. */
  async build({ trx, ctx }, input) {
    const repeated = await existingCreate(trx, input);
    if (repeated) return repeated;
    let placement: VolumePlacement;
    try {
      placement = await planVolume(ctx, input, trx);
    } catch (err) {
      // The identical create of another caller may have taken the space (and the name) meanwhile.
      const made = await existingCreate(trx, input);
      if (made) return made;
      throw err;
    }
    const volume = volumeRecord(input, placement, 'pending');
    const bricks = bricksFrom(placement, volume.id);
    await reserveSpace(trx, bricks);
    const count = await insertVolume(trx, volume);
    // placement read the count without a lock: this is where the limit is really enforced
    if (count > ctx.config.glusterfs.max_volumes_per_cluster) throw new StaleSnapshot(volume.clusterId);
    await insertBricks(trx, bricks);
    return { kind: 'record', targetId: volume.id, payload: { volumeId: volume.id, glusterCreateStarted: false } };
  },

  async exec(run) {
    const { ctx } = run;
    const { volume, bricks } = await load(ctx.db, run.payload);
    // the cluster's nodes, read once: the bricks' hosts, the volume's addresses and the gluster host
    const nodes = await clusterNodes(ctx.db, volume.clusterId);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    await createBricks(run, volume, bricks, byId);
    const { spec } = await glusterVolumeSpec(ctx, ctx.db, volume, bricks, byId);
    await run.save({ ...run.payload, glusterCreateStarted: true });
    await onClusterHost(ctx, volume.clusterId, [bricks[0]!.nodeId], (host) => run.executor.volumeCreate(host, spec), nodes);
  },

  async finalize(trx, run) {
    const { volumeId } = run.payload;
    // all of the volume's bricks in one statement (its bricks are only ever added with it, in build)
    const online = await updateBricksOfVolume(trx, volumeId, { state: 'online' });
    if (online === 0) throw new UnexpectedState('bricks of the new volume: none found');
    expectRows(await updateVolume(trx, volumeId, { state: 'online' }), 1, 'the new volume');
    return `/volumes/${volumeId}`;
  },

  async rollback(run) {
    const { ctx } = run;
    const volume = await findVolume(ctx.db, run.payload.volumeId);
    if (!volume) return UNDONE;
    if (run.payload.glusterCreateStarted) {
      await onClusterHost(ctx, volume.clusterId, [], (host) => run.executor.volumeDestroy(host, volume.name));
    }
    await destroyBricks(run, volume, await listBricksOfVolume(ctx.db, volume.id));
    await run.write((trx) => deleteVolume(trx, volume.id));
    return UNDONE;
  },

  async hosts(run) {
    const volume = await findVolume(run.ctx.db, run.payload.volumeId);
    return volume ? clusterHosts(run.ctx.db, volume.clusterId) : [];
  },
};
