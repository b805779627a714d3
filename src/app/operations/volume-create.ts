import type { Knex } from 'knex';
import { conflict, DomainError, noSpace } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Brick, Volume } from '../../domain/model';
import { placeVolume, placementOptionsFrom } from '../../domain/placement';
import type { VolumePlacement, VolumePlacementRequest } from '../../domain/placement/types';
import { insertBricks, listBricksOfVolume, updateBricks } from '../../db/repositories/bricks';
import { findCluster } from '../../db/repositories/clusters';
import {
  findActiveOperationFor,
  insertOperation,
  updateOperation,
} from '../../db/repositories/operations';
import { deleteVolume, findVolume, findVolumeByName, insertVolume, updateVolume } from '../../db/repositories/volumes';
import type { AppContext } from '../context';
import { bricksFrom, createBricks, destroyBricks } from '../bricks';
import { StaleSnapshot, reserveSpace } from '../reservations';
import { loadClusterSnapshots } from '../topology';
import { glusterVolumeSpec, onClusterHost } from '../volume-specs';
import { sameRequest, snapshotFactor, type VolumeCreateInput } from '../volume-input';
import type { OperationHandler } from './handler';
import type { Initiator, OperationRecord } from '../../domain/operation';

export const VOLUME_CREATE = 'volume_create';
const PLACEMENT_ATTEMPTS = 8;

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

async function checkClusters(ctx: AppContext, clusters: string[]): Promise<void> {
  for (const id of clusters) {
    if (!(await findCluster(ctx.db, id))) throw new DomainError('validation', `Cluster id ${id} not found`);
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
export async function planVolume(ctx: AppContext, input: VolumeCreateInput): Promise<VolumePlacement> {
  await checkClusters(ctx, input.clusters);
  const snapshots = await loadClusterSnapshots(ctx.db, input.clusters.length > 0 ? input.clusters : undefined);
  const result = placeVolume(snapshots, placementRequestFor(ctx, input), ctx.limits);
  if (!result.ok) throw noSpace(`Failed to allocate new volume: ${result.failure.message}`, result.failure);
  return result.placement;
}

export type StartResult = { opId: string };

/**
 * A retry of a create whose name exists: the same request gets the original operation (still running) or
 * a finished one pointing at the volume; a different request under that name is a conflict.
 */
async function existingCreate(
  ctx: AppContext,
  input: VolumeCreateInput,
  initiator: Initiator,
): Promise<StartResult | undefined> {
  if (!input.name) return undefined;
  const existing = await findVolumeByName(ctx.db, input.name);
  if (!existing) return undefined;
  if (!sameRequest(existing, input) || existing.state === 'deleting') {
    throw conflict(`Volume name ${input.name} is already in use by volume ${existing.id}`);
  }
  const active = await findActiveOperationFor(ctx.db, existing.id);
  if (active) return { opId: active.id };
  const opId = newId();
  await insertOperation(ctx.db, {
    id: opId,
    kind: VOLUME_CREATE,
    initiator,
    targetId: existing.id,
    payload: { volumeId: existing.id, repeated: true },
    owner: ctx.instanceId,
    leaseSeconds: ctx.leaseSeconds,
    state: 'succeeded',
    resultPath: `/volumes/${existing.id}`,
  });
  return { opId };
}

/**
 * Build phase: place, then in one transaction reserve the space (row locks, re-checked), record the volume
 * and its bricks as pending and record the operation. Nothing has touched a node yet.
 */
export async function startVolumeCreate(
  ctx: AppContext,
  input: VolumeCreateInput,
  initiator: Initiator,
): Promise<StartResult> {
  const repeated = await existingCreate(ctx, input, initiator);
  if (repeated) return repeated;
  for (let attempt = 1; ; attempt += 1) {
    const placement = await planVolume(ctx, input);
    const volume = volumeRecord(input, placement, 'pending');
    const volumeId = volume.id;
    const bricks = bricksFrom(placement, volumeId);
    const opId = newId();
    try {
      await ctx.db.transaction(async (trx: Knex.Transaction) => {
        await reserveSpace(trx, bricks);
        const count = await insertVolume(trx, volume);
        // placement read the count without a lock: this is where the limit is really enforced
        if (count > ctx.config.glusterfs.max_volumes_per_cluster) throw new StaleSnapshot(volume.clusterId);
        await insertBricks(trx, bricks);
        await insertOperation(trx, {
          id: opId,
          kind: VOLUME_CREATE,
          initiator,
          targetId: volumeId,
          payload: { volumeId },
          owner: ctx.instanceId,
          leaseSeconds: ctx.leaseSeconds,
        });
      });
      return { opId };
    } catch (err) {
      if (err instanceof StaleSnapshot && attempt < PLACEMENT_ATTEMPTS) continue;
      if (err instanceof StaleSnapshot) throw noSpace('Failed to allocate new volume: No space (devices kept changing under concurrent requests)');
      if (isUniqueViolation(err)) {
        const again = await existingCreate(ctx, input, initiator);
        if (again) return again;
      }
      throw err;
    }
  }
}

async function load(ctx: AppContext, op: OperationRecord): Promise<{ volume: Volume; bricks: Brick[] }> {
  const volumeId = String(op.payload.volumeId);
  const volume = await findVolume(ctx.db, volumeId);
  if (!volume) throw new Error(`volume ${volumeId} disappeared`);
  return { volume, bricks: await listBricksOfVolume(ctx.db, volumeId) };
}

export const volumeCreateHandler: OperationHandler = {
  kind: VOLUME_CREATE,
  recovery: 'rollback',

  async exec(ctx, op) {
    const { volume, bricks } = await load(ctx, op);
    await createBricks(ctx, volume, bricks);
    const { spec } = await glusterVolumeSpec(ctx, ctx.db, volume, bricks);
    // Recorded first, so an undo knows whether there may be a gluster volume to remove.
    op.payload.glusterCreateStarted = true;
    await updateOperation(ctx.db, op.id, { payload: op.payload });
    await onClusterHost(ctx, volume.clusterId, [bricks[0]!.nodeId], (host) => ctx.executor.volumeCreate(host, spec));
  },

  async finalize(trx, _ctx, op) {
    const volumeId = String(op.payload.volumeId);
    const bricks = await listBricksOfVolume(trx, volumeId);
    await updateBricks(
      trx,
      bricks.map((b) => b.id),
      { state: 'online' },
    );
    await updateVolume(trx, volumeId, { state: 'online' });
    return `/volumes/${volumeId}`;
  },

  async rollback(ctx, op) {
    const volume = await findVolume(ctx.db, String(op.payload.volumeId));
    if (!volume) return;
    if (op.payload.glusterCreateStarted) {
      await onClusterHost(ctx, volume.clusterId, [], (host) => ctx.executor.volumeDestroy(host, volume.name));
    }
    await destroyBricks(ctx, volume, await listBricksOfVolume(ctx.db, volume.id));
    await ctx.db.transaction((trx: Knex.Transaction) => deleteVolume(trx, volume.id));
  },
};
