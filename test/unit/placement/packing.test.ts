/**
 * A stream of random 1-50 GiB replica 3 volumes fills a cluster to within 2% of the theoretical maximum, on
 * uniform and on uneven devices. The stream goes on past a request that finds no space (as a real cluster's
 * requests would) until PATIENCE requests in a row fail.
 */
import { applyPlacement, placeVolume, type ClusterSnapshot } from '../../../src/domain/placement';
import { cluster, GIB, LIMITS, prng, request, violations, type NodeSpec } from './fixtures';

const PATIENCE = 60;

/**
 * Largest V with sum_z min(E_z, V) >= 3V, where E_z is zone z's capacity over 1.005 (a brick holds back at
 * least 0.5% more for thin pool metadata) and a zone holds at most one brick, V_set, of each set.
 */
function theoreticalMaxGib(c: ClusterSnapshot): number {
  const zones = new Map<number, number>();
  for (const n of c.nodes) for (const d of n.devices) zones.set(n.zone, (zones.get(n.zone) ?? 0) + d.totalKib / GIB / 1.005);
  const effective = [...zones.values()];
  let lo = 0;
  let hi = effective.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (effective.reduce((s, e) => s + Math.min(e, mid), 0) >= 3 * mid) lo = mid;
    else hi = mid;
  }
  return lo;
}

function fill(start: ClusterSnapshot, seed: number): number {
  const random = prng(seed);
  let clusters = [start];
  let placedGib = 0;
  let misses = 0;
  while (misses < PATIENCE) {
    const req = request({ sizeGib: random.int(1, 50) });
    const result = placeVolume(clusters, req, LIMITS);
    if (!result.ok) {
      misses++;
      continue;
    }
    misses = 0;
    expect(violations(clusters, req, result.placement)).toEqual([]);
    clusters = applyPlacement(clusters, result.placement);
    placedGib += req.sizeGib;
  }
  return placedGib;
}

const nodesOf = (zone: number, count: number, devices: number[]): NodeSpec[] => Array.from({ length: count }, () => ({ zone, devices }));

const TOPOLOGIES: Array<[string, ClusterSnapshot]> = [
  ['uniform 3 zones x 2 nodes x 2 x 500 GiB', cluster('u', [1, 2, 3].flatMap((z) => nodesOf(z, 2, [500, 500])))],
  [
    'uneven 3 zones: 100 GiB, 500 GiB and 2 TiB disks',
    cluster('v', [...nodesOf(1, 2, Array(10).fill(100)), ...nodesOf(2, 2, [500, 500]), ...nodesOf(3, 2, [2048])]),
  ],
  [
    'uneven 4 zones of 1, 1.5, 2 and 4 TiB',
    cluster('w', [...nodesOf(1, 1, [500, 500]), ...nodesOf(2, 3, [500]), ...nodesOf(3, 2, Array(10).fill(100)), ...nodesOf(4, 2, [2048])]),
  ],
];

describe('packing', () => {
  it.each(TOPOLOGIES)('fills %s to within 2%% of the theoretical maximum', (_name, c) => {
    const max = theoreticalMaxGib(c);
    for (const seed of [1, 2]) {
      const ratio = fill(c, seed) / max;
      expect(ratio).toBeGreaterThanOrEqual(0.98);
      expect(ratio).toBeLessThanOrEqual(1);
    }
  });
});
