import type { HeketiClient } from '../../client/heketi-client';
import type { ClusterInfo, NodeInfo, TopologyCluster, TopologyInfo, VolumeInfo } from '../wire';

/** Runs fn over items with at most `limit` requests in flight, keeping the order of items. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const IN_FLIGHT = 8;

/**
 * Heketi has no topology route: heketi-cli assembles it from /clusters, /clusters/{id}, /nodes/{id} and
 * /volumes/{id}. So does this, with a few requests in flight at once.
 */
export async function fetchTopology(client: HeketiClient): Promise<TopologyInfo> {
  const { clusters: ids } = (await client.clusterList()) as { clusters: string[] };
  const clusters = await mapLimited(ids, IN_FLIGHT, async (id): Promise<TopologyCluster> => {
    const info = (await client.clusterInfo(id)) as ClusterInfo;
    const nodes = await mapLimited(info.nodes, IN_FLIGHT, async (n) => (await client.nodeInfo(n)) as NodeInfo);
    const volumes = await mapLimited(info.volumes, IN_FLIGHT, async (v) => (await client.volumeInfo(v)) as VolumeInfo);
    return { id: info.id, file: info.file, block: info.block, nodes, volumes };
  });
  return { clusters };
}
