import type { Knex } from 'knex';
import { brickPath, type Brick, type Volume } from '../domain/model';
import { splitGlusterOption } from '../domain/names';
import type { AppContext } from './context';
import { findNodesByIds, listNodes } from '../db/repositories/nodes';
import { ExecutorError, type BrickAddress, type BrickSpec, type GlusterVolumeSpec } from '../executors/types';
import type { NodeRecord } from '../domain/model';

/** Translations from records to what executors take. */
export function brickSpec(brick: Brick, volume: Pick<Volume, 'gid'>): BrickSpec {
  return {
    id: brick.id,
    deviceId: brick.deviceId,
    sizeKib: brick.sizeKib,
    tpSizeKib: brick.tpSizeKib,
    poolMetadataKib: brick.poolMetadataKib,
    gid: volume.gid,
    arbiter: brick.arbiter,
    ...(brick.thinPool ? { thinPool: brick.thinPool } : {}),
  };
}

export function manageHost(node: NodeRecord): string {
  return node.manageHostnames[0]!;
}

export function storageHost(node: NodeRecord): string {
  return node.storageHostnames[0]!;
}

export function brickAddress(brick: Brick, nodes: Map<string, NodeRecord>): BrickAddress {
  return { host: storageHost(nodes.get(brick.nodeId)!), path: brickPath(brick.deviceId, brick.id) };
}

function parseOptionList(setting: string): string[] {
  return setting
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Options in Heketi's order: server pre-request options, the request's, server post-request, then the id. */
export function glusterOptions(ctx: AppContext, volume: Volume): Array<[string, string]> {
  const g = ctx.config.glusterfs;
  return [
    ...parseOptionList(g.pre_request_volume_options),
    ...volume.glusterVolumeOptions,
    ...parseOptionList(g.post_request_volume_options),
    `user.heketi.id ${volume.id}`,
  ].map(splitGlusterOption);
}

/** The gluster volume of these bricks, given their nodes. */
export function glusterSpecOf(ctx: AppContext, volume: Volume, bricks: Brick[], nodes: Map<string, NodeRecord>): GlusterVolumeSpec {
  return {
    name: volume.name,
    durability: volume.durability,
    arbiter: volume.arbiter,
    bricks: bricks.map((b) => brickAddress(b, nodes)),
    options: glusterOptions(ctx, volume),
  };
}

export async function glusterVolumeSpec(
  ctx: AppContext,
  db: Knex,
  volume: Volume,
  bricks: Brick[],
): Promise<{ spec: GlusterVolumeSpec; nodes: Map<string, NodeRecord> }> {
  const nodes = await findNodesByIds(
    db,
    bricks.map((b) => b.nodeId),
  );
  return { nodes, spec: glusterSpecOf(ctx, volume, bricks, nodes) };
}

/**
 * Runs a gluster command on a host of the cluster: the preferred node first, then the other online nodes
 * when a host cannot be reached (a node that is down must not block a delete).
 */
export async function onClusterHost<T>(
  ctx: AppContext,
  clusterId: string,
  preferredNodeIds: string[],
  run: (host: string) => Promise<T>,
): Promise<T> {
  const nodes = (await listNodes(ctx.db, { clusterId })).filter(
    (n) => n.lifecycle !== 'pending' && n.state === 'online',
  );
  const ordered = [
    ...preferredNodeIds.map((id) => nodes.find((n) => n.id === id)).filter((n): n is NodeRecord => !!n),
    ...nodes.filter((n) => !preferredNodeIds.includes(n.id)),
  ];
  if (ordered.length === 0) throw new Error(`no online node in cluster ${clusterId} to run gluster commands on`);
  let lastError: unknown;
  for (const node of ordered) {
    try {
      return await run(manageHost(node));
    } catch (err) {
      lastError = err;
      if (!(err instanceof ExecutorError && err.transient)) throw err;
      ctx.log.warn({ host: manageHost(node), err: err.message }, 'host unreachable, trying another');
    }
  }
  throw lastError;
}

/** Every host of a cluster an operation's commands may have run on (recovery waits on each). */
export async function clusterHosts(db: Knex, clusterId: string): Promise<string[]> {
  return (await listNodes(db, { clusterId })).map(manageHost);
}

/** Runs every task, waits for all of them, and throws the first failure (after all have settled). */
export async function allSettledOrThrow(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
