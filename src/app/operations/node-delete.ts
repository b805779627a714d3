import type { Knex } from 'knex';
import { conflict, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { listDevices } from '../../db/repositories/devices';
import { deleteNode, findNode, listNodes, updateNode } from '../../db/repositories/nodes';
import { findActiveOperationFor, insertOperation } from '../../db/repositories/operations';
import type { AppContext } from '../context';
import { manageHost, storageHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const NODE_DELETE = 'node_delete';

export async function startNodeDelete(ctx: AppContext, nodeId: string, initiator: Initiator): Promise<{ opId: string }> {
  const opId = newId();
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    const node = await findNode(trx, nodeId, true);
    if (!node) throw notFound();
    if ((await listDevices(trx, { nodeIds: [nodeId] })).length > 0) {
      throw conflict(`Unable to delete node [${nodeId}] because it contains devices`);
    }
    if (node.lifecycle !== 'ready' || (await findActiveOperationFor(trx, nodeId))) {
      throw conflict(`Node ${nodeId} is busy with another operation`);
    }
    await updateNode(trx, nodeId, { lifecycle: 'deleting' });
    await insertOperation(trx, {
      id: opId,
      kind: NODE_DELETE,
      initiator,
      targetId: nodeId,
      payload: { nodeId },
      owner: ctx.instanceId,
      leaseSeconds: ctx.leaseSeconds,
    });
  });
  return { opId };
}

export const nodeDeleteHandler: OperationHandler = {
  kind: NODE_DELETE,
  recovery: 'finish',

  async exec(ctx, op) {
    const node = await findNode(ctx.db, String(op.payload.nodeId));
    if (!node) return;
    const peer = (await listNodes(ctx.db, { clusterId: node.clusterId })).find(
      (n) => n.id !== node.id && n.lifecycle === 'ready' && n.state === 'online',
    );
    if (peer) await ctx.executor.peerDetach(manageHost(peer), storageHost(node));
  },

  async finalize(trx, _ctx, op) {
    await deleteNode(trx, String(op.payload.nodeId));
    return null;
  },

  async rollback(ctx, op) {
    const nodeId = String(op.payload.nodeId);
    if (await findNode(ctx.db, nodeId)) await updateNode(ctx.db, nodeId, { lifecycle: 'ready' });
  },
};
