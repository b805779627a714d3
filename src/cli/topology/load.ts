import type { HeketiClient } from '../../client/heketi-client';
import type { ClusterInfo, NodeInfo } from '../wire';
import type { FileNode } from './file';
import type { Plan, PlanEntry } from './plan';

/** What happened to one plan entry. */
export type Outcome =
  | { status: 'created'; id?: string }
  | { status: 'skipped'; id: string }
  | { status: 'failed'; error: string }
  | { status: 'not-attempted'; reason: string };

export interface LoadReport {
  added: { clusters: string[]; nodes: Array<{ id: string; hostname: string; where: string }>; devices: Array<{ node: string; name: string; where: string }> };
  skipped: { nodes: Array<{ id: string; hostname: string; where: string }>; devices: Array<{ id: string; node: string; name: string; where: string }> };
  failed: Array<{ where: string; what: string; error: string }>;
  /** Clusters created for nodes that then all failed, and deleted again. */
  removed_empty_clusters: string[];
  notes: string[];
}

export interface LoadObserver {
  /** Called before each change is sent. */
  starting?(entry: PlanEntry, done: number): void;
  /** Called after each entry, in file order; `done` counts finished changes (for a progress bar). */
  entry(entry: PlanEntry, outcome: Outcome, done: number): void;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Carries out a plan entry by entry. A failed node takes its devices with it but the load goes on with the
 * next node, as heketi-cli does; a cluster created here that ends up empty is deleted again.
 */
export async function executePlan(client: HeketiClient, plan: Plan, observer: LoadObserver): Promise<LoadReport> {
  const report: LoadReport = {
    added: { clusters: [], nodes: [], devices: [] },
    skipped: { nodes: [], devices: [] },
    failed: [],
    removed_empty_clusters: [],
    notes: [...plan.notes],
  };
  const newClusters = new Map<number, string | Error>();
  const newNodes = new Map<FileNode, string | Error>();
  let done = 0;

  const run = async (entry: PlanEntry): Promise<Outcome> => {
    switch (entry.kind) {
      case 'create-cluster': {
        try {
          const info = (await client.clusterCreate({ file: entry.file, block: entry.block })) as ClusterInfo;
          newClusters.set(entry.fileCluster, info.id);
          report.added.clusters.push(info.id);
          return { status: 'created', id: info.id };
        } catch (err) {
          newClusters.set(entry.fileCluster, err as Error);
          report.failed.push({ where: entry.where, what: 'cluster', error: errorText(err) });
          return { status: 'failed', error: errorText(err) };
        }
      }
      case 'add-node': {
        const clusterId = 'id' in entry.target ? entry.target.id : newClusters.get(entry.target.newCluster);
        if (typeof clusterId !== 'string') {
          newNodes.set(entry.node, new Error('its cluster was not created'));
          return { status: 'not-attempted', reason: 'its cluster was not created' };
        }
        try {
          const info = (await client.nodeAdd({
            zone: entry.node.zone,
            cluster: clusterId,
            hostnames: { manage: entry.node.manage, storage: entry.node.storage },
            ...(Object.keys(entry.node.tags).length > 0 ? { tags: entry.node.tags } : {}),
          })) as NodeInfo;
          newNodes.set(entry.node, info.id);
          report.added.nodes.push({ id: info.id, hostname: entry.node.manage[0]!, where: entry.node.where });
          return { status: 'created', id: info.id };
        } catch (err) {
          newNodes.set(entry.node, err as Error);
          report.failed.push({ where: entry.node.where, what: `node ${entry.node.manage[0]}`, error: errorText(err) });
          return { status: 'failed', error: errorText(err) };
        }
      }
      case 'skip-node':
        report.skipped.nodes.push({ id: entry.existing.id, hostname: entry.node.manage[0]!, where: entry.node.where });
        for (const note of entry.notes) report.notes.push(`${entry.node.where} (${entry.node.manage[0]}): ${note}; left as it is`);
        return { status: 'skipped', id: entry.existing.id };
      case 'add-device': {
        const nodeId = entry.existingNodeId ?? newNodes.get(entry.node);
        if (typeof nodeId !== 'string') return { status: 'not-attempted', reason: 'its node was not added' };
        try {
          await client.deviceAdd({
            node: nodeId,
            name: entry.device.name,
            destroydata: entry.device.destroyData,
            ...(Object.keys(entry.device.tags).length > 0 ? { tags: entry.device.tags } : {}),
          });
          report.added.devices.push({ node: nodeId, name: entry.device.name, where: entry.device.where });
          return { status: 'created' };
        } catch (err) {
          report.failed.push({ where: entry.device.where, what: `device ${entry.device.name} on ${entry.node.manage[0]}`, error: errorText(err) });
          return { status: 'failed', error: errorText(err) };
        }
      }
      case 'skip-device':
        report.skipped.devices.push({ id: entry.existingId, node: entry.node.manage[0]!, name: entry.device.name, where: entry.device.where });
        return { status: 'skipped', id: entry.existingId };
    }
  };

  for (const entry of plan.entries) {
    const isChange = entry.kind === 'create-cluster' || entry.kind === 'add-node' || entry.kind === 'add-device';
    if (isChange) observer.starting?.(entry, done);
    const outcome = await run(entry);
    if (isChange) done += 1;
    observer.entry(entry, outcome, done);
  }

  for (const [, id] of newClusters) {
    if (typeof id !== 'string') continue;
    const info = (await client.clusterInfo(id)) as ClusterInfo;
    if (info.nodes.length === 0 && info.volumes.length === 0) {
      await client.clusterDelete(id);
      report.removed_empty_clusters.push(id);
    }
  }
  return report;
}
