import type { Knex } from 'knex';
import { conflict, DomainError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { StorageNode, Tags } from '../../domain/model';
import { findCluster } from '../../db/repositories/clusters';
import {
  deleteNode,
  findHostnameOwner,
  findNode,
  insertNode,
  listNodes,
  updateNode,
} from '../../db/repositories/nodes';
import { insertOperation, updateOperation } from '../../db/repositories/operations';
import type { AppContext } from '../context';
import { isUniqueViolation } from './volume-create';
import { manageHost, storageHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const NODE_ADD = 'node_add';

export interface NodeAddInput {
  clusterId: string;
  zone: number;
  manageHostnames: string[];
  storageHostnames: string[];
  tags: Tags;
}

async function hostnameConflict(db: Knex, input: NodeAddInput): Promise<void> {
  for (const kind of ['manage', 'storage'] as const) {
    const owner = await findHostnameOwner(
      db,
      kind,
      kind === 'manage' ? input.manageHostnames : input.storageHostnames,
    );
    if (owner) throw conflict(`Hostname ${owner.hostname} already used by node with id ${owner.nodeId}`);
  }
}

export async function startNodeAdd(ctx: AppContext, input: NodeAddInput, initiator: Initiator): Promise<{ opId: string; nodeId: string }> {
  const node: StorageNode = { id: newId(), state: 'online', ...input };
  const opId = newId();
  try {
    await ctx.db.transaction(async (trx: Knex.Transaction) => {
      if (!(await findCluster(trx, input.clusterId, true))) {
        throw new DomainError('not_found', `Cluster id ${input.clusterId} not found`);
      }
      await hostnameConflict(trx, input);
      await insertNode(trx, node, 'pending');
      await insertOperation(trx, {
        id: opId,
        kind: NODE_ADD,
        initiator,
        targetId: node.id,
        payload: { nodeId: node.id, probedFrom: null },
        owner: ctx.instanceId,
        leaseSeconds: ctx.leaseSeconds,
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) await hostnameConflict(ctx.db, input);
    throw err;
  }
  return { opId, nodeId: node.id };
}

/** A ready, online node of the cluster other than this one: the trusted pool's door. */
async function peerOf(ctx: AppContext, clusterId: string, nodeId: string) {
  return (await listNodes(ctx.db, { clusterId })).find(
    (n) => n.id !== nodeId && n.lifecycle === 'ready' && n.state === 'online',
  );
}

export const nodeAddHandler: OperationHandler = {
  kind: NODE_ADD,
  recovery: 'rollback',

  async exec(ctx, op) {
    const node = await findNode(ctx.db, String(op.payload.nodeId));
    if (!node) throw new Error('node disappeared');
    await ctx.executor.glusterdCheck(manageHost(node));
    const peer = await peerOf(ctx, node.clusterId, node.id);
    if (!peer) return; // the first node of a cluster starts the pool
    await updateOperation(ctx.db, op.id, { payload: { ...op.payload, probedFrom: peer.id } });
    await ctx.executor.peerProbe(manageHost(peer), storageHost(node));
  },

  async finalize(trx, _ctx, op) {
    const nodeId = String(op.payload.nodeId);
    await updateNode(trx, nodeId, { lifecycle: 'ready' });
    return `/nodes/${nodeId}`;
  },

  async rollback(ctx, op) {
    const node = await findNode(ctx.db, String(op.payload.nodeId));
    if (!node) return;
    const probedFrom = op.payload.probedFrom ? await findNode(ctx.db, String(op.payload.probedFrom)) : undefined;
    if (probedFrom) await ctx.executor.peerDetach(manageHost(probedFrom), storageHost(node));
    await ctx.db.transaction((trx: Knex.Transaction) => deleteNode(trx, node.id));
  },
};
