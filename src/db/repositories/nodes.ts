import type { Knex } from 'knex';
import type { Lifecycle, NodeRecord, NodeState, StorageNode, Tags } from '../../domain/model';

interface NodeRow {
  id: string;
  cluster_id: string;
  zone: number;
  state: NodeState;
  lifecycle: Lifecycle;
  manage_hostnames: string[];
  storage_hostnames: string[];
  tags: Tags;
}

const toNode = (r: NodeRow): NodeRecord => ({
  id: r.id,
  clusterId: r.cluster_id,
  zone: r.zone,
  state: r.state,
  lifecycle: r.lifecycle,
  manageHostnames: r.manage_hostnames,
  storageHostnames: r.storage_hostnames,
  tags: r.tags ?? {},
});

export const nodeRow = (node: StorageNode, lifecycle: Lifecycle) => ({
  id: node.id,
  cluster_id: node.clusterId,
  zone: node.zone,
  state: node.state,
  lifecycle,
  manage_hostnames: JSON.stringify(node.manageHostnames),
  storage_hostnames: JSON.stringify(node.storageHostnames),
  tags: JSON.stringify(node.tags),
});

/** One row per hostname: the table's primary key keeps two nodes from sharing one. */
export const hostnameRows = (node: StorageNode) => [
  ...node.manageHostnames.map((hostname) => ({ kind: 'manage', hostname, node_id: node.id })),
  ...node.storageHostnames.map((hostname) => ({ kind: 'storage', hostname, node_id: node.id })),
];

export async function insertNode(db: Knex, node: StorageNode, lifecycle: Lifecycle): Promise<void> {
  await db('nodes').insert(nodeRow(node, lifecycle));
  await db('node_hostnames').insert(hostnameRows(node));
}

/** The node already holding one of these hostnames, if any. */
export async function findHostnameOwner(
  db: Knex,
  kind: 'manage' | 'storage',
  hostnames: string[],
): Promise<{ hostname: string; nodeId: string } | undefined> {
  const row = await db('node_hostnames').where({ kind }).whereIn('hostname', hostnames).first();
  return row ? { hostname: row.hostname, nodeId: row.node_id } : undefined;
}

export async function findNode(db: Knex, id: string, forUpdate = false): Promise<NodeRecord | undefined> {
  const q = db<NodeRow>('nodes').where({ id }).first();
  const row = await (forUpdate ? q.forUpdate() : q);
  return row ? toNode(row) : undefined;
}

export async function listNodes(db: Knex, filter: { clusterId?: string } = {}): Promise<NodeRecord[]> {
  const q = db<NodeRow>('nodes').select('*').orderBy('created_at').orderBy('id');
  if (filter.clusterId) q.where({ cluster_id: filter.clusterId });
  return (await q).map(toNode);
}

export async function listNodeIdsOfCluster(db: Knex, clusterId: string): Promise<string[]> {
  const rows = await db('nodes').where({ cluster_id: clusterId }).select('id').orderBy('created_at').orderBy('id');
  return rows.map((r: { id: string }) => r.id);
}

export async function findNodesByIds(db: Knex, ids: string[]): Promise<Map<string, NodeRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db<NodeRow>('nodes').whereIn('id', [...new Set(ids)]);
  return new Map(rows.map((r) => [r.id, toNode(r)]));
}

export async function updateNode(
  db: Knex,
  id: string,
  changes: Partial<{ state: NodeState; lifecycle: Lifecycle; tags: Tags }>,
): Promise<number> {
  const row: Record<string, unknown> = {};
  if (changes.state) row.state = changes.state;
  if (changes.lifecycle) row.lifecycle = changes.lifecycle;
  if (changes.tags) row.tags = JSON.stringify(changes.tags);
  return (await db('nodes').where({ id }).update(row).returning('id')).length;
}

export async function deleteNode(db: Knex, id: string): Promise<number> {
  await db('node_hostnames').where({ node_id: id }).delete();
  return (await db('nodes').where({ id }).delete().returning('id')).length;
}
