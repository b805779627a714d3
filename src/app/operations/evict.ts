import { z } from 'zod';
import { badRequest, conflict, noSpace, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Brick, Volume } from '../../domain/model';
import { placeReplacement, placementOptionsFrom } from '../../domain/placement';
import { findBricks, insertBricks, listBricksOfDevices, listBricksOfVolume, updateBricks } from '../../db/repositories/bricks';
import { findDevice, listDevices, lockDevices, updateDevice } from '../../db/repositories/devices';
import { findNode, findNodesByIds, updateNode } from '../../db/repositories/nodes';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { findVolume } from '../../db/repositories/volumes';
import { removeBricks } from '../bricks';
import { OperationLost, type OperationRun } from '../operation-run';
import { StaleSnapshot, reserveSpace } from '../reservations';
import { PLACEMENT_ATTEMPTS } from '../runner';
import { loadClusterSnapshots } from '../topology';
import { brickAddress, brickSpec, clusterHosts, glusterVolumeSpec, manageHost, onClusterHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

/**
 * Setting a device (or a node) to `failed` moves every brick it holds to other devices, one brick at a time:
 * place and reserve the replacement, create it, check the old brick is not the only good copy, replace-brick,
 * destroy the old one, then swap the records in one transaction. Each finished move stands on its own; an
 * eviction that cannot finish undoes the move in progress and gives the node and devices back the states
 * they had, so a refused `failed` changes nothing an operator can see but the bricks already moved.
 */
export const EVICT = 'evict';

export interface EvictInput {
  kind: 'device' | 'node';
  id: string;
}

const State = z.enum(['online', 'offline', 'failed']);
const Move = z.object({ oldBrickId: z.string(), newBrickId: z.string() });
const Payload = z.object({
  target: z.object({ kind: z.enum(['device', 'node']), id: z.string() }),
  deviceIds: z.array(z.string()),
  /** States before the eviction, restored if it is undone. */
  previous: z.object({ node: State.nullable(), devices: z.record(z.string(), State) }),
  current: Move.nullable(),
  moved: z.number().int(),
});
type Payload = z.infer<typeof Payload>;
type Run = OperationRun<Payload>;

/** Place and reserve the replacement of one brick, recorded as the move in progress. */
async function reserveReplacement(run: Run, volume: Volume, old: Brick): Promise<Brick> {
  const { ctx } = run;
  const options = placementOptionsFrom(volume.glusterVolumeOptions);
  for (let attempt = 1; ; attempt += 1) {
    const siblings = (await listBricksOfVolume(ctx.db, volume.id)).filter((b) => b.setIndex === old.setIndex && b.id !== old.id);
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
        excludeDevices: run.payload.deviceIds,
      },
      ctx.limits,
    );
    if (!result.ok) throw noSpace(`Unable to move brick ${old.id} of volume ${volume.name}: ${result.failure.message}`);
    // a new brick of Brickyard's own: its thin pool is tp_<its id>, whatever Heketi named the old one's
    const replacement: Brick = { ...old, id: newId(), deviceId: result.brick.deviceId, nodeId: result.brick.nodeId, state: 'pending', thinPool: null };
    try {
      await run.write(async (trx) => {
        await reserveSpace(trx, [replacement]);
        await insertBricks(trx, [replacement]);
        await run.save({ ...run.payload, current: { oldBrickId: old.id, newBrickId: replacement.id } }, trx);
      });
      return replacement;
    } catch (err) {
      if (err instanceof StaleSnapshot && attempt < PLACEMENT_ATTEMPTS) continue;
      throw err;
    }
  }
}

/** The old brick leaves the records and its space is credited; the new one goes online. */
async function completeMove(run: Run, old: Brick, replacement: Brick, volume: Volume): Promise<void> {
  const oldNode = (await findNodesByIds(run.ctx.db, [old.nodeId])).get(old.nodeId);
  try {
    if (oldNode) await run.executor.brickDestroy(manageHost(oldNode), brickSpec(old, volume));
  } catch (err) {
    if (err instanceof OperationLost) throw err;
    // The device is being failed (often because it is broken): its leftovers cannot block the move.
    run.ctx.log.warn({ brick: old.id, err: (err as Error).message }, 'evict: old brick could not be destroyed');
  }
  await run.write(async (trx) => {
    expectRows((await removeBricks(trx, [old.id])).length, 1, 'the moved brick');
    expectRows(await updateBricks(trx, [replacement.id], { state: 'online' }), 1, 'the replacement brick');
    await run.save({ ...run.payload, current: null, moved: run.payload.moved + 1 }, trx);
  });
}

async function moveBrick(run: Run, old: Brick): Promise<void> {
  const { ctx } = run;
  const volume = await findVolume(ctx.db, old.volumeId);
  if (!volume) return;
  if (volume.durability.type === 'none' || (volume.durability.type === 'replicate' && volume.durability.replica < 2)) {
    throw badRequest(`Unable to move brick ${old.id} of volume ${volume.name}: a volume without replicas has no copy to heal from`);
  }
  const replacement = await reserveReplacement(run, volume, old);
  const newNode = (await findNodesByIds(ctx.db, [replacement.nodeId])).get(replacement.nodeId)!;
  await run.executor.brickCreate(manageHost(newNode), brickSpec(replacement, volume));
  const { nodes } = await glusterVolumeSpec(ctx, ctx.db, volume, [old, replacement]);
  const from = brickAddress(old, nodes);
  const to = brickAddress(replacement, nodes);
  await onClusterHost(ctx, volume.clusterId, [], async (host) => {
    const heal = await run.executor.healInfo(host, volume.name);
    const pending = heal.entries[`${from.host}:${from.path}`];
    if (pending !== undefined && pending > 0) {
      throw new Error(
        `Unable to move brick ${from.host}:${from.path} of volume ${volume.name}: it holds ${pending} entries other bricks still need (heal pending); retry after self-heal completes`,
      );
    }
    await run.executor.replaceBrick(host, volume.name, from, to);
  });
  await completeMove(run, old, replacement, volume);
}

/** Settle a move in progress: finish it if gluster already switched, else drop the replacement. */
async function settleCurrentMove(run: Run): Promise<void> {
  const { ctx } = run;
  const current = run.payload.current;
  if (!current) return;
  const [[old], [replacement]] = await Promise.all([findBricks(ctx.db, [current.oldBrickId]), findBricks(ctx.db, [current.newBrickId])]);
  const volume = replacement && (await findVolume(ctx.db, replacement.volumeId));
  if (!replacement || !volume) {
    await run.save({ ...run.payload, current: null });
    return;
  }
  const { nodes } = await glusterVolumeSpec(ctx, ctx.db, volume, [replacement]);
  const info = await onClusterHost(ctx, volume.clusterId, [], (host) => run.executor.volumeInfo(host, volume.name));
  const to = brickAddress(replacement, nodes);
  if (old && info?.bricks.some((b) => b.host === to.host && b.path === to.path)) {
    await completeMove(run, old, replacement, volume);
    return;
  }
  await run.executor.brickDestroy(manageHost(nodes.get(replacement.nodeId)!), brickSpec(replacement, volume));
  await run.write(async (trx) => {
    await removeBricks(trx, [replacement.id]);
    await run.save({ ...run.payload, current: null }, trx);
  });
}

export const evict: OperationDefinition<EvictInput, Payload> = {
  kind: EVICT,
  payload: Payload,
  recovery: 'rollback',

  /** Marks the devices offline (no new bricks go there), remembering the states they had. */
  async build({ trx }, target) {
    let deviceIds: string[];
    let nodeState: Payload['previous']['node'] = null;
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
      nodeState = node.state;
      await updateNode(trx, node.id, { state: 'offline' });
    }
    for (const id of [target.id, ...deviceIds]) {
      if (await findActiveOperationFor(trx, id)) throw conflict(`${target.kind} ${id} is busy with another operation`);
    }
    const devices = await lockDevices(trx, deviceIds);
    const previous = { node: nodeState, devices: Object.fromEntries([...devices.values()].map((d) => [d.id, d.state])) };
    for (const id of deviceIds) await updateDevice(trx, id, { state: 'offline' });
    return { kind: 'record', targetId: target.id, payload: { target, deviceIds, previous, current: null, moved: 0 } };
  },

  async exec(run) {
    await settleCurrentMove(run);
    const bricks = await listBricksOfDevices(run.ctx.db, run.payload.deviceIds);
    for (const brick of bricks.filter((b) => b.state === 'online')) await moveBrick(run, brick);
    // Bricks another operation is still making (it reserved them before the device went offline) cannot
    // be moved yet: the device is not empty, so it must not be marked failed.
    const left = (await listBricksOfDevices(run.ctx.db, run.payload.deviceIds)).filter((b) => b.state === 'pending');
    if (left.length > 0) {
      const { kind, id } = run.payload.target;
      throw new Error(`${left.length} brick(s) on ${kind} ${id} are still being created by other operations; retry when they finish`);
    }
  },

  async finalize(trx, run) {
    const { deviceIds, target } = run.payload;
    for (const id of deviceIds) expectRows(await updateDevice(trx, id, { state: 'failed' }), 1, `device ${id}`);
    if (target.kind === 'node') expectRows(await updateNode(trx, target.id, { state: 'failed' }), 1, `node ${target.id}`);
    return null;
  },

  /** Finished moves stay; the move in progress is settled; node and devices get their states back. */
  async rollback(run) {
    await settleCurrentMove(run);
    const { previous, target } = run.payload;
    await run.write(async (trx) => {
      for (const [id, state] of Object.entries(previous.devices)) await updateDevice(trx, id, { state });
      if (target.kind === 'node' && previous.node) await updateNode(trx, target.id, { state: previous.node });
    });
    return UNDONE;
  },

  async hosts(run) {
    const first = run.payload.target.kind === 'node' ? await findNode(run.ctx.db, run.payload.target.id) : undefined;
    const device = first ? undefined : await findDevice(run.ctx.db, run.payload.target.id);
    const node = first ?? (device && (await findNode(run.ctx.db, device.nodeId)));
    return node ? clusterHosts(run.ctx.db, node.clusterId) : [];
  },
};
