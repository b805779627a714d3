import type { Knex } from 'knex';
import { badRequest, conflict, noSpace, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Brick, DeviceState, NodeState, Volume } from '../../domain/model';
import { placeReplacement, placementOptionsFrom } from '../../domain/placement';
import { deleteBricks, findBricks, insertBricks, listBricksOfDevices, listBricksOfVolume, updateBricks } from '../../db/repositories/bricks';
import { findDevice, listDevices, lockDevices, updateDevice } from '../../db/repositories/devices';
import { findNode, findNodesByIds, updateNode } from '../../db/repositories/nodes';
import { findActiveOperationFor, insertOperation, updateOperation } from '../../db/repositories/operations';
import { findVolume } from '../../db/repositories/volumes';
import type { AppContext } from '../context';
import { StaleSnapshot, releaseSpace, reserveSpace } from '../reservations';
import { loadClusterSnapshots } from '../topology';
import { brickAddress, brickSpec, glusterVolumeSpec, manageHost, onClusterHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator, OperationRecord } from '../../domain/operation';

/**
 * Setting a device (or a node) to `failed` moves every brick it holds to other devices, one brick at a time:
 * place and reserve the replacement, create it, check the old brick is not the only good copy, replace-brick,
 * destroy the old one, then swap the records in one transaction. Each finished move stands on its own, so an
 * error part way leaves earlier moves done and undoes only the move in progress.
 */
export const EVICT = 'evict';

interface Move {
  oldBrickId: string;
  newBrickId: string;
}

interface EvictPayload {
  target: { kind: 'device' | 'node'; id: string };
  deviceIds: string[];
  current: Move | null;
  moved: number;
}

/** Marks the devices offline (no new bricks go there) and records the eviction. */
export async function startEviction(
  ctx: AppContext,
  target: { kind: 'device' | 'node'; id: string },
  initiator: Initiator,
): Promise<{ opId: string }> {
  const opId = newId();
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    let deviceIds: string[];
    if (target.kind === 'device') {
      const device = await findDevice(trx, target.id, true);
      if (!device) throw notFound();
      if (device.lifecycle !== 'ready') throw conflict(`Device ${target.id} is busy with another operation`);
      deviceIds = [device.id];
    } else {
      const node = await findNode(trx, target.id, true);
      if (!node) throw notFound();
      if (node.lifecycle !== 'ready') throw conflict(`Node ${target.id} is busy with another operation`);
      deviceIds = (await listDevices(trx, { nodeIds: [node.id] })).map((d) => d.id);
      await updateNode(trx, node.id, { state: 'offline' });
    }
    for (const id of [target.id, ...deviceIds]) {
      if (await findActiveOperationFor(trx, id)) throw conflict(`${target.kind} ${id} is busy with another operation`);
    }
    await lockDevices(trx, deviceIds);
    for (const id of deviceIds) await updateDevice(trx, id, { state: 'offline' });
    const payload: EvictPayload = { target, deviceIds, current: null, moved: 0 };
    await insertOperation(trx, {
      id: opId,
      kind: EVICT,
      initiator,
      targetId: target.id,
      payload: payload as unknown as Record<string, unknown>,
      owner: ctx.instanceId,
      leaseSeconds: ctx.leaseSeconds,
    });
  });
  return { opId };
}

async function saveProgress(db: Knex, op: OperationRecord, payload: EvictPayload): Promise<void> {
  op.payload = payload as unknown as Record<string, unknown>;
  await updateOperation(db, op.id, { payload: op.payload });
}

/** Place and reserve the replacement of one brick, recorded as the move in progress. */
async function reserveReplacement(ctx: AppContext, op: OperationRecord, volume: Volume, old: Brick): Promise<Brick> {
  const payload = op.payload as unknown as EvictPayload;
  const options = placementOptionsFrom(volume.glusterVolumeOptions);
  for (let attempt = 1; ; attempt += 1) {
    const siblings = (await listBricksOfVolume(ctx.db, volume.id)).filter(
      (b) => b.setIndex === old.setIndex && b.id !== old.id,
    );
    const nodes = await findNodesByIds(ctx.db, [old.nodeId, ...siblings.map((s) => s.nodeId)]);
    const [cluster] = await loadClusterSnapshots(ctx.db, [volume.clusterId]);
    const result = placeReplacement(
      cluster!,
      {
        durability: volume.durability,
        zoneChecking: options.zoneChecking ?? ctx.zoneChecking,
        tagRules: options.tagRules,
        brick: {
          deviceId: old.deviceId,
          nodeId: old.nodeId,
          zone: nodes.get(old.nodeId)?.zone ?? 0,
          setIndex: old.setIndex,
          position: old.position,
          sizeKib: old.sizeKib,
          tpSizeKib: old.tpSizeKib,
          poolMetadataKib: old.poolMetadataKib,
          reservedKib: old.reservedKib,
          arbiter: old.arbiter,
        },
        siblings: siblings.map((s) => ({ deviceId: s.deviceId, nodeId: s.nodeId, zone: nodes.get(s.nodeId)?.zone ?? 0 })),
        excludeDevices: payload.deviceIds,
      },
      ctx.limits,
    );
    if (!result.ok) throw noSpace(`Unable to move brick ${old.id} of volume ${volume.name}: ${result.failure.message}`);
    const replacement: Brick = {
      ...old,
      id: newId(),
      deviceId: result.brick.deviceId,
      nodeId: result.brick.nodeId,
      state: 'pending',
    };
    try {
      await ctx.db.transaction(async (trx: Knex.Transaction) => {
        await reserveSpace(trx, [replacement]);
        await insertBricks(trx, [replacement]);
        await saveProgress(trx, op, { ...payload, current: { oldBrickId: old.id, newBrickId: replacement.id } });
      });
      return replacement;
    } catch (err) {
      if (err instanceof StaleSnapshot && attempt < 8) continue;
      throw err;
    }
  }
}

/** The old brick leaves the records and its space is credited; the new one goes online. */
async function completeMove(ctx: AppContext, op: OperationRecord, old: Brick, replacement: Brick, volume: Volume) {
  const nodes = await findNodesByIds(ctx.db, [old.nodeId]);
  const oldNode = nodes.get(old.nodeId);
  try {
    if (oldNode) await ctx.executor.brickDestroy(manageHost(oldNode), brickSpec(old, volume));
  } catch (err) {
    // The device is being failed (often because it is broken): its leftovers cannot block the move.
    ctx.log.warn({ brick: old.id, err: (err as Error).message }, 'evict: old brick could not be destroyed');
  }
  const payload = op.payload as unknown as EvictPayload;
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    await releaseSpace(trx, [old]);
    await deleteBricks(trx, [old.id]);
    await updateBricks(trx, [replacement.id], { state: 'online' });
    await saveProgress(trx, op, { ...payload, current: null, moved: payload.moved + 1 });
  });
}

async function moveBrick(ctx: AppContext, op: OperationRecord, old: Brick): Promise<void> {
  const volume = await findVolume(ctx.db, old.volumeId);
  if (!volume) return;
  if (volume.durability.type === 'none' || (volume.durability.type === 'replicate' && volume.durability.replica < 2)) {
    throw badRequest(
      `Unable to move brick ${old.id} of volume ${volume.name}: a volume without replicas has no copy to heal from`,
    );
  }
  const replacement = await reserveReplacement(ctx, op, volume, old);
  const newNode = (await findNodesByIds(ctx.db, [replacement.nodeId])).get(replacement.nodeId)!;
  await ctx.executor.brickCreate(manageHost(newNode), brickSpec(replacement, volume));
  const { nodes } = await glusterVolumeSpec(ctx, ctx.db, volume, [old, replacement]);
  const from = brickAddress(old, nodes);
  const to = brickAddress(replacement, nodes);
  await onClusterHost(ctx, volume.clusterId, [], async (host) => {
    const heal = await ctx.executor.healInfo(host, volume.name);
    const pending = heal.entries[`${from.host}:${from.path}`];
    if (pending !== undefined && pending > 0) {
      throw new Error(
        `Unable to move brick ${from.host}:${from.path} of volume ${volume.name}: it holds ${pending} entries other bricks still need (heal pending); retry after self-heal completes`,
      );
    }
    await ctx.executor.replaceBrick(host, volume.name, from, to);
  });
  await completeMove(ctx, op, old, replacement, volume);
}

/** Undo a move in progress: finish it if gluster already switched, else drop the replacement. */
async function settleCurrentMove(ctx: AppContext, op: OperationRecord): Promise<void> {
  const payload = op.payload as unknown as EvictPayload;
  if (!payload.current) return;
  const [old, replacement] = await Promise.all([
    findBricks(ctx.db, [payload.current.oldBrickId]).then((b) => b[0]),
    findBricks(ctx.db, [payload.current.newBrickId]).then((b) => b[0]),
  ]);
  const volume = replacement && (await findVolume(ctx.db, replacement.volumeId));
  if (!replacement || !volume) {
    await saveProgress(ctx.db, op, { ...payload, current: null });
    return;
  }
  const { nodes } = await glusterVolumeSpec(ctx, ctx.db, volume, [replacement]);
  const info = await onClusterHost(ctx, volume.clusterId, [], (host) => ctx.executor.volumeInfo(host, volume.name));
  const to = brickAddress(replacement, nodes);
  if (old && info?.bricks.some((b) => b.host === to.host && b.path === to.path)) {
    await completeMove(ctx, op, old, replacement, volume);
    return;
  }
  const node = nodes.get(replacement.nodeId)!;
  await ctx.executor.brickDestroy(manageHost(node), brickSpec(replacement, volume));
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    await releaseSpace(trx, [replacement]);
    await deleteBricks(trx, [replacement.id]);
    await saveProgress(trx, op, { ...payload, current: null });
  });
}

export const evictHandler: OperationHandler = {
  kind: EVICT,
  recovery: 'rollback',

  async exec(ctx, op) {
    await settleCurrentMove(ctx, op);
    const payload = op.payload as unknown as EvictPayload;
    const bricks = await listBricksOfDevices(ctx.db, payload.deviceIds);
    for (const brick of bricks.filter((b) => b.state === 'online')) await moveBrick(ctx, op, brick);
    // Bricks another operation is still making (it reserved them before the device went offline) cannot
    // be moved yet: the device is not empty, so it must not be marked failed.
    const left = (await listBricksOfDevices(ctx.db, payload.deviceIds)).filter((b) => b.state === 'pending');
    if (left.length > 0) {
      throw new Error(
        `${left.length} brick(s) on ${payload.target.kind} ${payload.target.id} are still being created by other operations; retry when they finish`,
      );
    }
  },

  async finalize(trx, _ctx, op) {
    const payload = op.payload as unknown as EvictPayload;
    for (const id of payload.deviceIds) await updateDevice(trx, id, { state: 'failed' as DeviceState });
    if (payload.target.kind === 'node') await updateNode(trx, payload.target.id, { state: 'failed' as NodeState });
    return null;
  },

  async rollback(ctx, op) {
    // Finished moves stay; the devices stay offline (not failed) so the operator can retry.
    await settleCurrentMove(ctx, op);
  },
};
