import type { NodeInfo, TopologyInfo } from '../wire';
import { TopologyFileError, type FileCluster, type FileDevice, type FileNode, type TopologyFile } from './file';

/**
 * What `topology load` will do, in file order: create what is missing, skip what is there. Nodes are matched
 * by their first manage hostname (as heketi-cli does), devices by name on the matched node. Pure: the current
 * topology comes in, the plan goes out, nothing is sent.
 */
export type PlanEntry =
  | { kind: 'create-cluster'; fileCluster: number; file: boolean; block: boolean; where: string }
  | { kind: 'add-node'; fileCluster: number; target: ClusterTarget; node: FileNode }
  | { kind: 'skip-node'; node: FileNode; existing: NodeInfo; notes: string[] }
  | { kind: 'add-device'; node: FileNode; existingNodeId?: string; device: FileDevice }
  | { kind: 'skip-device'; node: FileNode; device: FileDevice; existingId: string };

/** An existing cluster, or the one the plan creates for file cluster n. */
export type ClusterTarget = { id: string } | { newCluster: number };

export interface Plan {
  entries: PlanEntry[];
  notes: string[];
}

/** Entries that change something on the server. */
export function actions(plan: Plan): PlanEntry[] {
  return plan.entries.filter((e) => e.kind === 'create-cluster' || e.kind === 'add-node' || e.kind === 'add-device');
}

function indexNodes(current: TopologyInfo) {
  const byManage = new Map<string, NodeInfo>();
  const byStorage = new Map<string, NodeInfo>();
  for (const node of current.clusters.flatMap((c) => c.nodes)) {
    for (const h of node.hostnames.manage) byManage.set(h, node);
    for (const h of node.hostnames.storage) byStorage.set(h, node);
  }
  return { byManage, byStorage };
}

function label(node: NodeInfo): string {
  return `node ${node.id} (${node.hostnames.manage[0] ?? '?'})`;
}

/** A new node may not reuse a hostname the server already gave another node: the add would fail half way. */
function checkNewNodeHostnames(node: FileNode, index: ReturnType<typeof indexNodes>): void {
  for (const kind of ['manage', 'storage'] as const) {
    const owners = kind === 'manage' ? index.byManage : index.byStorage;
    node[kind].forEach((h, i) => {
      const owner = owners.get(h);
      if (owner) {
        throw new TopologyFileError(`${node.where}.node.hostnames.${kind}[${i}]`, `"${h}" is already used by ${label(owner)}`);
      }
    });
  }
}

function differences(node: FileNode, existing: NodeInfo): string[] {
  const notes: string[] = [];
  if (existing.zone !== node.zone) notes.push(`zone is ${existing.zone} on the server, ${node.zone} in the file`);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((h, i) => h === b[i]);
  if (!same(existing.hostnames.storage, node.storage)) {
    notes.push(`storage hostnames are ${existing.hostnames.storage.join(',')} on the server, ${node.storage.join(',')} in the file`);
  }
  return notes;
}

function planCluster(cluster: FileCluster, ci: number, index: ReturnType<typeof indexNodes>, plan: Plan): void {
  const matched = cluster.nodes.map((n) => index.byManage.get(n.manage[0]!));
  const homes = [...new Set(matched.filter((m): m is NodeInfo => m !== undefined).map((m) => m.cluster))];
  if (homes.length > 1) {
    plan.notes.push(`${cluster.where}: its nodes are already in ${homes.length} clusters; new nodes go to ${homes[0]}`);
  }
  let target: ClusterTarget | undefined = homes[0] ? { id: homes[0] } : undefined;
  cluster.nodes.forEach((node, ni) => {
    const existing = matched[ni];
    if (existing) {
      plan.entries.push({ kind: 'skip-node', node, existing, notes: differences(node, existing) });
      const devices = new Map(existing.devices.map((d) => [d.name, d.id]));
      for (const device of node.devices) {
        const id = devices.get(device.name);
        if (id) plan.entries.push({ kind: 'skip-device', node, device, existingId: id });
        else plan.entries.push({ kind: 'add-device', node, existingNodeId: existing.id, device });
      }
      return;
    }
    checkNewNodeHostnames(node, index);
    if (!target) {
      plan.entries.push({ kind: 'create-cluster', fileCluster: ci, file: cluster.file, block: cluster.block, where: cluster.where });
      target = { newCluster: ci };
    }
    plan.entries.push({ kind: 'add-node', fileCluster: ci, target, node });
    for (const device of node.devices) plan.entries.push({ kind: 'add-device', node, device });
  });
}

export function planTopologyLoad(file: TopologyFile, current: TopologyInfo): Plan {
  const index = indexNodes(current);
  const plan: Plan = { entries: [], notes: [] };
  file.clusters.forEach((cluster, ci) => planCluster(cluster, ci, index, plan));
  return plan;
}
