/**
 * Packing benchmark: random 1-50 GiB replica 3 volumes (seeded) are placed and applied to the snapshot. Prints,
 * against the theoretical maximum: what was placed before the stream's first "No space" (Heketi's figure is
 * 99.3% on uniform 500 GiB devices); what a perfect packer (no fragmentation at all) would have placed before
 * the same stream's first failure, since the last volume's bricks cannot split below 1/8 of it (32 bricks)
 * that bounds any placer; and what is placed when the stream goes on past failures until the cluster is full.
 * Beside the packing, the spread: bricks per device, the fewest and the most on one node's devices, at 25% and
 * 50% of the maximum and at the first "No space" (nodes with one device are left out).
 * Prints figures, never fails.
 *
 * Run: npm run build && node dist/bench/packing.js
 */
import { applyPlacement, placeVolume, type ClusterSnapshot, type PlacementLimits } from '../src/domain/placement';
import { KIB_PER_GIB } from '../src/domain/units';
import { prng } from './support/stats';

const LIMITS: PlacementLimits = {
  brickMinSizeGib: 1,
  brickMaxSizeGib: 4096,
  maxBricksPerVolume: 32,
  maxVolumesPerCluster: 100000,
  averageFileSizeKb: 64,
  extentKib: 4096,
};

/** Thin pool metadata is 0.5% of the pool (rounded up to extents), so a brick holds back at least 1.005x its size. */
const MIN_RESERVATION_FACTOR = 1.005;


/** zones[z] lists the nodes of zone z+1, each as its device sizes in GiB. */
function topology(id: string, zones: number[][][]): ClusterSnapshot {
  let n = 0;
  return {
    id,
    file: true,
    block: false,
    volumeCount: 0,
    nodes: zones.flatMap((nodes, zi) =>
      nodes.map((devices) => {
        const nodeId = `n${String(n++).padStart(4, '0')}`;
        return {
          id: nodeId,
          zone: zi + 1,
          state: 'online' as const,
          tags: {},
          devices: devices.map((gib, di) => ({
            id: `${nodeId}d${String(di).padStart(2, '0')}`,
            state: 'online' as const,
            totalKib: gib * KIB_PER_GIB,
            freeKib: gib * KIB_PER_GIB,
            tags: {},
            brickCount: 0,
          })),
        };
      }),
    ),
  };
}

/**
 * The theoretical maximum of replica 3 volume data V (GiB) with one brick per zone per set. Zone z can hold at
 * most E_z = C_z / 1.005 of brick data (C_z its raw capacity; every brick also holds back >= 0.5% metadata),
 * and at most V of it, since it holds at most one brick of each set and a set's bricks are each V_set. The
 * three bricks of every set sum to 3 V_set, so V is feasible only when sum_z min(E_z, V) >= 3V; the largest such
 * V is the bound (the fractional optimum; real bricks lose a little more to fragmentation and extent rounding).
 * sum_z min(E_z, V) - 3V is decreasing once V passes the third-largest zone, so bisection finds it.
 */
function theoreticalMaxGib(cluster: ClusterSnapshot, replica: number): number {
  const zoneGib = new Map<number, number>();
  for (const node of cluster.nodes) {
    for (const d of node.devices) zoneGib.set(node.zone, (zoneGib.get(node.zone) ?? 0) + d.totalKib / KIB_PER_GIB);
  }
  const effective = [...zoneGib.values()].map((c) => c / MIN_RESERVATION_FACTOR);
  const feasible = (v: number): boolean => effective.reduce((s, e) => s + Math.min(e, v), 0) >= replica * v;
  let lo = 0;
  let hi = effective.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (feasible(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const REPLICA_3_REQUEST = {
  durability: { type: 'replicate', replica: 3 } as const,
  snapshotFactor: 1,
  zoneChecking: 'strict' as const,
  tagRules: [],
  arbiter: false,
  clusters: [],
};

/** Bricks per device on one node's devices: the fewest and the most, over the nodes with two or more devices. */
interface Spread {
  /** The largest max - min of one node. */
  worst: number;
  /** Mean over nodes of max - min. */
  mean: number;
  /** Lowest min and highest max over nodes. */
  min: number;
  max: number;
}

function spreadOf(cluster: ClusterSnapshot): Spread {
  const gaps: number[] = [];
  let min = Infinity;
  let max = 0;
  for (const node of cluster.nodes) {
    if (node.devices.length < 2) continue;
    const counts = node.devices.map((d) => d.brickCount);
    const lo = Math.min(...counts);
    const hi = Math.max(...counts);
    gaps.push(hi - lo);
    min = Math.min(min, lo);
    max = Math.max(max, hi);
  }
  if (gaps.length === 0) return { worst: 0, mean: 0, min: 0, max: 0 };
  return { worst: Math.max(...gaps), mean: gaps.reduce((a, b) => a + b, 0) / gaps.length, min, max };
}

const CHECKPOINTS = [0.25, 0.5] as const;

interface PackResult {
  /** Spread when the placed GiB first reach each CHECKPOINTS share of the maximum, then at the first failure. */
  spreads: Spread[];
  /** Volume GiB placed before the stream's first "No space". */
  firstFailureGib: number;
  /** Volume GiB placed when the stream goes on past failures until PATIENCE requests in a row fail. */
  continuedGib: number;
  /** What a perfect packer (one with no fragmentation at all) would place before the same stream's first failure. */
  idealFirstFailureGib: number;
  volumes: number;
  failedSizeGib: number;
}

/** A stream "fills" the cluster once this many requests in a row find no space. */
const PATIENCE = 200;

function pack(start: ClusterSnapshot, seed: number, maxGib: number): PackResult {
  const random = prng(seed);
  let clusters = [start];
  let placedGib = 0;
  let volumes = 0;
  let misses = 0;
  let firstFailureGib = -1;
  let failedSizeGib = 0;
  let idealGib = 0;
  let idealStopped = false;
  const spreads: Spread[] = [];
  while (misses < PATIENCE) {
    const sizeGib = 1 + Math.floor(random() * 50);
    if (!idealStopped) {
      if (idealGib + sizeGib <= maxGib) idealGib += sizeGib;
      else idealStopped = true;
    }
    const result = placeVolume(clusters, { sizeGib, ...REPLICA_3_REQUEST }, LIMITS);
    if (!result.ok) {
      misses++;
      if (firstFailureGib < 0) {
        if (process.env.PACKING_VERBOSE) console.log(result.failure.message);
        firstFailureGib = placedGib;
        failedSizeGib = sizeGib;
        while (spreads.length < CHECKPOINTS.length) spreads.push(spreadOf(clusters[0] as ClusterSnapshot));
        spreads.push(spreadOf(clusters[0] as ClusterSnapshot));
      }
      continue;
    }
    misses = 0;
    clusters = applyPlacement(clusters, result.placement);
    placedGib += sizeGib;
    if (firstFailureGib < 0) volumes++;
    const next = CHECKPOINTS[spreads.length];
    if (firstFailureGib < 0 && next !== undefined && placedGib >= next * maxGib) spreads.push(spreadOf(clusters[0] as ClusterSnapshot));
  }
  return { spreads, firstFailureGib, continuedGib: placedGib, idealFirstFailureGib: idealGib, volumes, failedSizeGib };
}

const GIB_100 = 100;
const GIB_500 = 500;
const TIB_2 = 2048;
const repeat = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

const scenarios: Array<{ name: string; cluster: ClusterSnapshot }> = [
  {
    name: 'uniform: 3 zones x 2 nodes x 2 x 500 GiB',
    cluster: topology('uniform', repeat(3, repeat(2, repeat(2, GIB_500)))),
  },
  {
    name: 'uneven, 3 zones: 2 nodes x 10 x 100 GiB | 2 nodes x 2 x 500 GiB | 2 nodes x 1 x 2 TiB',
    cluster: topology('uneven3', [repeat(2, repeat(10, GIB_100)), repeat(2, repeat(2, GIB_500)), repeat(2, [TIB_2])]),
  },
  {
    name: 'uneven, 4 zones of 1, 1.5, 2 and 4 TiB (500 GiB, 100 GiB and 2 TiB disks)',
    cluster: topology('uneven4', [
      repeat(1, [GIB_500, GIB_500]),
      repeat(3, [GIB_500]),
      repeat(2, repeat(10, GIB_100)),
      repeat(2, [TIB_2]),
    ]),
  },
  {
    name: 'uneven, 5 zones: 100 GiB, 500 GiB and 2 TiB disks mixed, zone sizes 1.2-4 TiB',
    cluster: topology('uneven5', [
      repeat(3, repeat(4, GIB_100)),
      repeat(2, repeat(2, GIB_500)),
      repeat(2, [TIB_2]),
      [repeat(6, GIB_100), [GIB_500, GIB_500]],
      [[TIB_2], [GIB_500]],
    ]),
  },
];

const SEEDS = [1, 2, 3, 4, 5];
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(2)}%`;
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

console.log('packing: random 1-50 GiB replica 3 volumes (seeded), strict zones, brick_min 1 GiB, max 32 bricks');
console.log('figures are volume GiB placed / theoretical maximum, one per seed');
console.log('spread: bricks per device on one node, lowest min - highest max over nodes / largest max - min of one node');
for (const { name, cluster } of scenarios) {
  const max = theoreticalMaxGib(cluster, 3);
  const results = SEEDS.map((seed) => pack(cluster, seed, max));
  const row = (pick: (r: PackResult) => number): string =>
    `${results.map((r) => pct(pick(r), max)).join('  ')}   mean ${pct(mean(results.map(pick)), max)}`;
  console.log(`\n${name}`);
  console.log(`  theoretical maximum      ${max.toFixed(1)} GiB of volumes`);
  console.log(`  at the first No space    ${row((r) => r.firstFailureGib)}`);
  console.log(`  perfect packer, same     ${row((r) => r.idealFirstFailureGib)}`);
  console.log(`  continued until full     ${row((r) => r.continuedGib)}`);
  ['25% full', '50% full', 'first No space'].forEach((label, i) => {
    const at = results.map((r) => r.spreads[i] as Spread);
    const cells = at.map((s) => `${s.min}-${s.max}/${s.worst}`).join('  ');
    console.log(
      `  spread at ${label.padEnd(14)} ${cells}   worst node max-min ${Math.max(...at.map((s) => s.worst))}, ` +
        `mean ${mean(at.map((s) => s.mean)).toFixed(2)}`,
    );
  });
  const first = results[0] as PackResult;
  console.log(`  seed ${SEEDS[0]}: ${first.volumes} volumes before a ${first.failedSizeGib} GiB one found no space`);
}
