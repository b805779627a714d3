import type { ClusterSnapshot, PlannedBrick, VolumePlacement } from './types';

/**
 * The snapshot as it would be once a placement's bricks are made: each device loses what its bricks hold back
 * and counts them, and the cluster counts one more volume (unless the placement expands an existing one).
 * Returns new objects; the input is left untouched. For dry runs, simulations and benchmarks.
 */
export function applyPlacement(
  clusters: readonly ClusterSnapshot[],
  placement: VolumePlacement,
  options: { newVolume?: boolean } = {},
): ClusterSnapshot[] {
  const byDevice = new Map<string, PlannedBrick[]>();
  for (const brick of placement.bricks) {
    const list = byDevice.get(brick.deviceId) ?? [];
    list.push(brick);
    byDevice.set(brick.deviceId, list);
  }
  return clusters.map((cluster) => {
    if (cluster.id !== placement.clusterId) return cluster;
    return {
      ...cluster,
      volumeCount: cluster.volumeCount + (options.newVolume === false ? 0 : 1),
      nodes: cluster.nodes.map((node) => ({
        ...node,
        devices: node.devices.map((device) => {
          const bricks = byDevice.get(device.id);
          if (bricks === undefined) return device;
          const reserved = bricks.reduce((sum, b) => sum + b.reservedKib, 0);
          return { ...device, freeKib: device.freeKib - reserved, brickCount: device.brickCount + bricks.length };
        }),
      })),
    };
  });
}
