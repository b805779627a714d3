import { dataBricksPerSet, describeDurability, setWidth, type Durability } from '../durability';
import { formatKib, KIB_PER_GIB } from '../units';
import { buildClusterView, type ClusterView } from './eligibility';
import { placeInView } from './place-volume';
import type { ClusterCapacity, ClusterSnapshot, PlacementLimits, ZoneChecking } from './types';

const REPLICATE_2: Durability = { type: 'replicate', replica: 2 };
const REPLICATE_3: Durability = { type: 'replicate', replica: 3 };
const DISPERSE_4_2: Durability = { type: 'disperse', data: 4, redundancy: 2 };

function fits(view: ClusterView, durability: Durability, sizeGib: number, limits: PlacementLimits, mode: ZoneChecking): boolean {
  return placeInView(view, { sizeGib, durability, snapshotFactor: 1, arbiter: false }, limits, mode).ok;
}

/**
 * The largest volume placeVolume would accept now, found by bisection over what placeVolume itself does, with
 * the invariant "lo fits, hi does not". So the answer N is a size that fits and N+1 one that does not, even where
 * the sizing loop makes fitting not strictly monotonic in size. hi starts just above a proven bound: all bricks
 * together hold back more than the volume times width/data, and each device must keep more free than it gives.
 */
export function largestVolumeGib(view: ClusterView, durability: Durability, limits: PlacementLimits, mode: ZoneChecking): number {
  const data = dataBricksPerSet(durability);
  const width = setWidth(durability);
  const dataFreeKib = view.slots.reduce((sum, s) => sum + (s.canData ? s.freeKib : 0), 0);
  const upper = Math.floor((dataFreeKib * data) / (width * KIB_PER_GIB));
  // The smallest volume the sizing loop accepts at all: one brick per data brick at brick_min_size_gb.
  const smallest = Math.max(1, Math.ceil(limits.brickMinSizeGib * data));
  if (smallest > upper || !fits(view, durability, smallest, limits, mode)) return 0;
  let lo = smallest;
  let hi = upper + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(view, durability, mid, limits, mode)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Free space per zone (online devices on online nodes) and the largest replica 2, replica 3 and disperse 4+2
 * volume that placeVolume would place on this cluster now (0 when the cluster takes no new file volume).
 */
export function clusterCapacity(cluster: ClusterSnapshot, limits: PlacementLimits, zoneChecking: ZoneChecking): ClusterCapacity {
  const view = buildClusterView(cluster, { tagRules: [], arbiter: false });
  const totals = new Map<number, number>();
  for (const node of cluster.nodes) {
    if (node.state !== 'online') continue;
    for (const device of node.devices) {
      if (device.state === 'online') totals.set(node.zone, (totals.get(node.zone) ?? 0) + device.totalKib);
    }
  }
  const zones = view.zones.map((zone, zi) => {
    const slots = view.slotsByZone[zi] ?? [];
    return {
      zone,
      freeKib: slots.reduce((sum, s) => sum + s.freeKib, 0),
      totalKib: totals.get(zone) ?? 0,
      largestFreeDeviceKib: slots.reduce((max, s) => Math.max(max, s.freeKib), 0),
      devices: slots.length,
    };
  });
  const takesVolumes = cluster.file && cluster.volumeCount < limits.maxVolumesPerCluster;
  const largest = (d: Durability): number => (takesVolumes ? largestVolumeGib(view, d, limits, zoneChecking) : 0);
  return {
    clusterId: cluster.id,
    zones,
    largestVolumeGib: {
      replicate2: largest(REPLICATE_2),
      replicate3: largest(REPLICATE_3),
      disperse4plus2: largest(DISPERSE_4_2),
    },
  };
}

/**
 * For a refusal: the largest volume of the requested durability that fits now, and of the usual ones, with the
 * free space, e.g. "largest volume that fits now (1.5 TiB free): disperse 8+4 none, replica 3 499 GiB, ...".
 */
export function largestNowText(view: ClusterView, requested: Durability, limits: PlacementLimits, mode: ZoneChecking): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const d of [requested, REPLICATE_3, REPLICATE_2, DISPERSE_4_2]) {
    const name = describeDurability(d);
    if (seen.has(name)) continue;
    seen.add(name);
    const gib = largestVolumeGib(view, d, limits, mode);
    parts.push(`${name} ${gib > 0 ? `${gib} GiB` : 'none'}`);
  }
  const freeKib = view.slots.reduce((sum, s) => sum + (s.canData ? s.freeKib : 0), 0);
  return `largest volume that fits now (${formatKib(freeKib)} free): ${parts.join(', ')}`;
}
