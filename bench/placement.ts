/**
 * Decision-time benchmark: 1,000 nodes x 10 devices in 5 zones (10,000 devices). Times placeVolume for a mix
 * of replica 3, disperse 4+2, arbiter and best-effort requests (each applied to the topology so it fills up),
 * plus failing requests (the explanation path), replacements and capacity answers. Prints percentiles; never
 * fails on timing.
 *
 * Run: npm run build && node dist/bench/placement.js
 */
import type { Durability } from '../src/domain/durability';
import {
  clusterCapacity,
  placeReplacement,
  placeVolume,
  type ClusterSnapshot,
  type PlacementLimits,
  type VolumePlacement,
  type VolumePlacementRequest,
} from '../src/domain/placement';
import { KIB_PER_GIB } from '../src/domain/units';
import { percentile, prng } from './support/stats';

const LIMITS: PlacementLimits = {
  brickMinSizeGib: 1,
  brickMaxSizeGib: 4096,
  maxBricksPerVolume: 32,
  maxVolumesPerCluster: 1_000_000,
  averageFileSizeKb: 64,
  extentKib: 4096,
};


const random = prng(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const NODES = 1000;
const DEVICES_PER_NODE = 10;
const ZONES = 5;

function bigCluster(): ClusterSnapshot {
  const nodes = [];
  for (let n = 0; n < NODES; n++) {
    const nodeId = `node${String(n).padStart(4, '0')}`;
    const devices = [];
    for (let d = 0; d < DEVICES_PER_NODE; d++) {
      const totalKib = pick([1024, 2048, 4096]) * KIB_PER_GIB;
      devices.push({
        id: `${nodeId}dev${d}`,
        state: random() < 0.01 ? ('offline' as const) : ('online' as const),
        totalKib,
        freeKib: Math.floor(totalKib * (0.2 + 0.8 * random())),
        tags: d === 9 ? { disk: 'ssd' } : {},
        brickCount: 0,
      });
    }
    nodes.push({ id: nodeId, zone: (n % ZONES) + 1, state: random() < 0.01 ? ('offline' as const) : ('online' as const), tags: {}, devices });
  }
  return { id: 'big', file: true, block: false, volumeCount: 0, nodes };
}

/** Applies a placement in place (the benchmark keeps one topology and lets it fill). */
function applyInPlace(cluster: ClusterSnapshot, placement: VolumePlacement): void {
  const devices = new Map(cluster.nodes.flatMap((n) => n.devices.map((d) => [d.id, d] as const)));
  for (const brick of placement.bricks) {
    const device = devices.get(brick.deviceId);
    if (device) {
      device.freeKib -= brick.reservedKib;
      device.brickCount++;
    }
  }
  cluster.volumeCount++;
}


function report(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (ms: number): string => `${ms.toFixed(2)} ms`;
  console.log(
    `${name.padEnd(34)} n=${String(sorted.length).padStart(5)}  p50 ${f(percentile(sorted, 50))}  p95 ${f(percentile(sorted, 95))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted[sorted.length - 1] as number)}`,
  );
}

function timed<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

const cluster = bigCluster();
const REPLICA_3: Durability = { type: 'replicate', replica: 3 };
const DISPERSE: Durability = { type: 'disperse', data: 4, redundancy: 2 };

type Kind = 'replica 3' | 'disperse 4+2' | 'replica 3 arbiter' | 'replica 3 best-effort' | 'replica 3 tag disk=ssd';
const KINDS: Kind[] = ['replica 3', 'replica 3', 'replica 3', 'disperse 4+2', 'replica 3 arbiter', 'replica 3 best-effort', 'replica 3 tag disk=ssd'];

function requestFor(kind: Kind): VolumePlacementRequest {
  const base: VolumePlacementRequest = {
    sizeGib: 1 + Math.floor(random() * 1000),
    durability: REPLICA_3,
    snapshotFactor: 1,
    zoneChecking: 'strict',
    tagRules: [],
    arbiter: false,
    clusters: [],
  };
  switch (kind) {
    case 'disperse 4+2':
      return { ...base, durability: DISPERSE, sizeGib: 4 + Math.floor(random() * 4000) };
    case 'replica 3 arbiter':
      return { ...base, arbiter: true };
    case 'replica 3 best-effort':
      return { ...base, zoneChecking: 'best-effort' };
    case 'replica 3 tag disk=ssd':
      return { ...base, tagRules: [{ key: 'disk', value: 'ssd', negate: false }] };
    default:
      return base;
  }
}

const DECISIONS = 3000;
const WARMUP = 200;
const samples = new Map<string, number[]>();
const all: number[] = [];
const placed: VolumePlacement[] = [];
for (let i = 0; i < WARMUP + DECISIONS; i++) {
  const kind = pick(KINDS);
  const req = requestFor(kind);
  const [result, ms] = timed(() => placeVolume([cluster], req, LIMITS));
  if (!result.ok) throw new Error(result.failure.message);
  applyInPlace(cluster, result.placement);
  placed.push(result.placement);
  if (i < WARMUP) continue;
  all.push(ms);
  const list = samples.get(kind) ?? [];
  list.push(ms);
  samples.set(kind, list);
}

const failing: number[] = [];
for (let i = 0; i < 50; i++) {
  // Far more than the cluster holds: the whole sizing loop runs, then the explanation is built.
  const req = { ...requestFor('replica 3'), sizeGib: 100_000_000 };
  const [result, ms] = timed(() => placeVolume([cluster], req, LIMITS));
  if (result.ok) throw new Error('expected no space');
  failing.push(ms);
}

const replacements: number[] = [];
for (let i = 0; i < 500; i++) {
  const placement = pick(placed);
  const brick = pick(placement.bricks);
  const siblings = placement.bricks.filter((b) => b.setIndex === brick.setIndex && b !== brick);
  const durability = placement.bricks.filter((b) => b.setIndex === 0).length === 6 ? DISPERSE : REPLICA_3;
  const [, ms] = timed(() =>
    placeReplacement(
      cluster,
      { durability, zoneChecking: 'strict', tagRules: [], brick, siblings, excludeDevices: [brick.deviceId] },
      LIMITS,
    ),
  );
  replacements.push(ms);
}

const capacity: number[] = [];
for (let i = 0; i < 5; i++) capacity.push(timed(() => clusterCapacity(cluster, LIMITS, 'strict'))[1]);

console.log(`placement decisions on ${NODES} nodes x ${DEVICES_PER_NODE} devices in ${ZONES} zones (after ${WARMUP} warm-up decisions)`);
report('all placeVolume (placed)', all);
for (const [kind, list] of samples) report(`  ${kind}`, list);
report('placeVolume, no space (explained)', failing);
report('placeReplacement', replacements);
report('clusterCapacity (3 durabilities)', capacity);
const [answer] = timed(() => clusterCapacity(cluster, LIMITS, 'strict'));
console.log(`largest volumes now: ${JSON.stringify(answer.largestVolumeGib)} GiB; ${cluster.volumeCount} volumes placed`);
