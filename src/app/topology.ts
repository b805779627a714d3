import type { Knex } from 'knex';
import type { ClusterSnapshot } from '../domain/placement/types';
import { listClustersWithVolumeCounts } from '../db/repositories/clusters';
import { listDevices } from '../db/repositories/devices';
import { listNodes } from '../db/repositories/nodes';

/**
 * The topology as placement sees it: ready nodes and devices with their free space and brick counts. Its
 * cost grows with nodes and devices, never with the number of volumes or bricks.
 */
export async function loadClusterSnapshots(db: Knex, clusterIds?: string[]): Promise<ClusterSnapshot[]> {
  const clusters = (await listClustersWithVolumeCounts(db)).filter((c) => !clusterIds || clusterIds.includes(c.id));
  if (clusters.length === 0) return [];
  const ids = clusters.map((c) => c.id);
  const readyNodes = (await listNodes(db)).filter((n) => n.lifecycle === 'ready' && ids.includes(n.clusterId));
  const devices = (await listDevices(db, { nodeIds: readyNodes.map((n) => n.id) })).filter(
    (d) => d.lifecycle === 'ready',
  );
  return clusters.map((c) => ({
    id: c.id,
    file: c.file,
    block: c.block,
    volumeCount: c.volumeCount,
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
