import { z } from 'zod';
import type { Knex } from 'knex';
import { conflict, DomainError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { StorageNode, Tags } from '../../domain/model';
import { findCluster } from '../../db/repositories/clusters';
import { deleteNode, findHostnameOwner, findNode, insertNode, listNodes, updateNode } from '../../db/repositories/nodes';
import { manageHost, storageHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

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
    const owner = await findHostnameOwner(db, kind, kind === 'manage' ? input.manageHostnames : input.storageHostnames);
    if (owner) throw conflict(`Hostname ${owner.hostname} already used by node with id ${owner.nodeId}`);
  }
}

/** A ready, online node of the cluster other than this one: the trusted pool's door. */
async function peerOf(db: Knex, clusterId: string, nodeId: string) {
  return (await listNodes(db, { clusterId })).find((n) => n.id !== nodeId && n.lifecycle === 'ready' && n.state === 'online');
}

const Payload = z.object({
  nodeId: z.string(),
  /** The peer that probed the new node, recorded before the probe so an undo can detach it. */
  probedFrom: z.string().nullable(),
});
type Payload = z.infer<typeof Payload>;

export const nodeAdd: OperationDefinition<NodeAddInput, Payload> = {
  kind: NODE_ADD,
  payload: Payload,
  recovery: 'rollback',

  async build({ trx }, input) {
    if (!(await findCluster(trx, input.clusterId, true))) {
      throw new DomainError('not_found', `Cluster id ${input.clusterId} not found`);
    }
    await hostnameConflict(trx, input);
    const node: StorageNode = { id: newId(), state: 'online', ...input };
    // a concurrent add of the same hostname fails on the unique index; the runner's retry then names it
    await insertNode(trx, node, 'pending');
    return { kind: 'record', targetId: node.id, payload: { nodeId: node.id, probedFrom: null } };
  },

  async exec(run) {
    const { db } = run.ctx;
    const node = await findNode(db, run.payload.nodeId);
    if (!node) throw new Error('node disappeared');
    await run.executor.glusterdCheck(manageHost(node));
    const peer = await peerOf(db, node.clusterId, node.id);
    if (!peer) return; // the first node of a cluster starts the pool
    await run.save({ ...run.payload, probedFrom: peer.id });
    await run.executor.peerProbe(manageHost(peer), storageHost(node));
  },

  async finalize(trx, run) {
    expectRows(await updateNode(trx, run.payload.nodeId, { lifecycle: 'ready' }), 1, 'the new node');
    return `/nodes/${run.payload.nodeId}`;
  },

  async rollback(run) {
    const { db } = run.ctx;
    const node = await findNode(db, run.payload.nodeId);
    if (!node) return UNDONE;
    const probedFrom = run.payload.probedFrom ? await findNode(db, run.payload.probedFrom) : undefined;
    if (probedFrom) await run.executor.peerDetach(manageHost(probedFrom), storageHost(node));
    await run.write((trx) => deleteNode(trx, node.id));
    return UNDONE;
  },

  async hosts(run) {
    const node = await findNode(run.ctx.db, run.payload.nodeId);
    const peer = run.payload.probedFrom ? await findNode(run.ctx.db, run.payload.probedFrom) : undefined;
    return [node, peer].filter((n) => n !== undefined).map(manageHost);
  },
};
