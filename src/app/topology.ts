import type { Knex } from 'knex';
import type { ClusterSnapshot } from '../domain/placement/types';
import { listClusters } from '../db/repositories/clusters';
import { listDevices } from '../db/repositories/devices';
import { listNodes } from '../db/repositories/nodes';

/**
 * The topology as placement sees it: ready nodes and devices with their free space and brick counts. Its
 * cost grows with nodes and devices, never with the number of volumes or bricks.
 */
export async function loadClusterSnapshots(db: Knex, clusterIds?: string[]): Promise<ClusterSnapshot[]> {
  const clusters = (await listClusters(db)).filter((c) => !clusterIds || clusterIds.includes(c.id));
  if (clusters.length === 0) return [];
  const ids = clusters.map((c) => c.id);
  const [nodes, volumeCounts] = await Promise.all([
    listNodes(db),
    db('volumes').whereIn('cluster_id', ids).select('cluster_id').count('* as n').groupBy('cluster_id'),
  ]);
  const readyNodes = nodes.filter((n) => n.lifecycle === 'ready' && ids.includes(n.clusterId));
  const devices = (await listDevices(db, { nodeIds: readyNodes.map((n) => n.id) })).filter(
    (d) => d.lifecycle === 'ready',
  );
  const counts = new Map(volumeCounts.map((r) => [String(r.cluster_id), Number(r.n)]));
  return clusters.map((c) => ({
    id: c.id,
    file: c.file,
    block: c.block,
    volumeCount: counts.get(c.id) ?? 0,
    nodes: readyNodes
      .filter((n) => n.clusterId === c.id)
      .map((n) => ({
        id: n.id,
        zone: n.zone,
        state: n.state,
        tags: n.tags,
        devices: devices
          .filter((d) => d.nodeId === n.id)
          .map((d) => ({
            id: d.id,
            state: d.state,
            totalKib: d.totalKib,
            freeKib: d.freeKib,
            tags: d.tags,
            brickCount: d.brickCount,
          })),
      })),
  }));
}
