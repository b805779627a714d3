import { z } from 'zod';
import { conflict, notFound } from '../../domain/errors';
import { listDevices } from '../../db/repositories/devices';
import { deleteNode, findNode, listNodes, updateNode } from '../../db/repositories/nodes';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { clusterHosts, manageHost, storageHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const NODE_DELETE = 'node_delete';

const Payload = z.object({ nodeId: z.string() });
type Payload = z.infer<typeof Payload>;

export const nodeDelete: OperationDefinition<string, Payload> = {
  kind: NODE_DELETE,
  payload: Payload,
  recovery: 'finish',

  async build({ trx }, nodeId) {
    const node = await findNode(trx, nodeId, true);
    if (!node) throw notFound();
    if ((await listDevices(trx, { nodeIds: [nodeId] })).length > 0) {
      throw conflict(`Unable to delete node [${nodeId}] because it contains devices`);
    }
    if (node.lifecycle !== 'ready' || (await findActiveOperationFor(trx, nodeId))) {
      throw conflict(`Node ${nodeId} is busy with another operation`);
    }
    await updateNode(trx, nodeId, { lifecycle: 'deleting' });
    return { kind: 'record', targetId: nodeId, payload: { nodeId } };
  },

  async exec(run) {
    const { db } = run.ctx;
    const node = await findNode(db, run.payload.nodeId);
    if (!node) return;
    const peer = (await listNodes(db, { clusterId: node.clusterId })).find(
      (n) => n.id !== node.id && n.lifecycle === 'ready' && n.state === 'online',
    );
    if (peer) await run.executor.peerDetach(manageHost(peer), storageHost(node));
  },

  async finalize(trx, run) {
    expectRows(await deleteNode(trx, run.payload.nodeId), 1, 'the deleted node');
    return null;
  },

  async rollback(run) {
    await run.write(async (trx) => {
      if (await findNode(trx, run.payload.nodeId)) await updateNode(trx, run.payload.nodeId, { lifecycle: 'ready' });
    });
    return UNDONE;
  },

  async hosts(run) {
    const node = await findNode(run.ctx.db, run.payload.nodeId);
    return node ? clusterHosts(run.ctx.db, node.clusterId) : [];
  },
};
