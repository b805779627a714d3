/** Topology builders, a seeded generator and rule checkers shared by the placement tests. */
import { setWidth } from '../../../src/domain/durability';
import type { DeviceState, NodeState, Tags } from '../../../src/domain/model';
import {
  mergedTagValue,
  strictZoneCap,
  tagRuleMatches,
  type ClusterSnapshot,
  type NodeSnapshot,
  type PlacementLimits,
  type VolumePlacement,
  type VolumePlacementRequest,
} from '../../../src/domain/placement';
import { thinPoolSizes } from '../../../src/domain/thin-pool';
import { KIB_PER_GIB } from '../../../src/domain/units';

export const GIB = KIB_PER_GIB;

export const LIMITS: PlacementLimits = {
  brickMinSizeGib: 1,
  brickMaxSizeGib: 4096,
  maxBricksPerVolume: 32,
  maxVolumesPerCluster: 1000,
  averageFileSizeKb: 64,
  extentKib: 4096,
};

/** xorshift32: deterministic streams for property tests. */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(items: readonly T[]): T } {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

export interface DeviceSpec {
  gib: number;
  /** Free space when not all of it is free. */
  freeGib?: number;
  state?: DeviceState;
  tags?: Tags;
  id?: string;
}

export interface NodeSpec {
  zone: number;
  devices: Array<number | DeviceSpec>;
  state?: NodeState;
  tags?: Tags;
  id?: string;
}

/** Nodes are named n<i> in order, devices n<i>d<j>, unless ids are given. */
export function cluster(id: string, nodes: NodeSpec[], extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    id,
    file: true,
    block: false,
    volumeCount: 0,
    nodes: nodes.map((spec, i): NodeSnapshot => {
      const nodeId = spec.id ?? `n${i}`;
      return {
        id: nodeId,
        zone: spec.zone,
        state: spec.state ?? 'online',
        tags: spec.tags ?? {},
        devices: spec.devices.map((d, j) => {
          const dev: DeviceSpec = typeof d === 'number' ? { gib: d } : d;
          return {
            id: dev.id ?? `${nodeId}d${j}`,
            state: dev.state ?? 'online',
            totalKib: dev.gib * GIB,
            freeKib: (dev.freeGib ?? dev.gib) * GIB,
            tags: dev.tags ?? {},
            brickCount: 0,
          };
        }),
      };
    }),
    ...extra,
  };
}

/** `zones` zones of `nodesPerZone` nodes, each with the given device sizes (GiB). */
export function gridCluster(id: string, zones: number, nodesPerZone: number, deviceGib: number[]): ClusterSnapshot {
  const nodes: NodeSpec[] = [];
  for (let z = 1; z <= zones; z++) for (let n = 0; n < nodesPerZone; n++) nodes.push({ zone: z, devices: deviceGib });
  return cluster(id, nodes);
}

export function request(partial: Partial<VolumePlacementRequest> = {}): VolumePlacementRequest {
  return {
    sizeGib: 10,
    durability: { type: 'replicate', replica: 3 },
    snapshotFactor: 1,
    zoneChecking: 'strict',
    tagRules: [],
    arbiter: false,
    clusters: [],
    ...partial,
  };
}

/** Every rule a placement must obey, as a list of violations (empty when it is sound). */
export function violations(
  clusters: ClusterSnapshot[],
  req: VolumePlacementRequest,
  placement: VolumePlacement,
  limits: PlacementLimits = LIMITS,
): string[] {
  const problems: string[] = [];
  const cluster = clusters.find((c) => c.id === placement.clusterId);
  if (!cluster) return [`unknown cluster ${placement.clusterId}`];
  const devices = new Map(cluster.nodes.flatMap((n) => n.devices.map((d) => [d.id, { node: n, device: d }] as const)));
  const width = setWidth(req.durability);
  if (placement.bricks.length !== placement.setCount * width) problems.push('brick count is not sets x width');
  if (placement.bricks.length + (req.existingBricks ?? 0) > limits.maxBricksPerVolume) problems.push('too many bricks');
  const used = new Map<string, number>();
  const sets = new Map<number, typeof placement.bricks>();
  for (const brick of placement.bricks) {
    const found = devices.get(brick.deviceId);
    if (!found) {
      problems.push(`brick on unknown device ${brick.deviceId}`);
      continue;
    }
    const { node, device } = found;
    if (node.id !== brick.nodeId || node.zone !== brick.zone) problems.push(`brick ${brick.deviceId}: wrong node or zone`);
    if (node.state !== 'online') problems.push(`brick on ${node.state} node ${node.id}`);
    if (device.state !== 'online') problems.push(`brick on ${device.state} device ${device.id}`);
    for (const rule of req.tagRules) {
      if (!tagRuleMatches(rule, mergedTagValue(node, device, rule.key))) problems.push(`brick on ${device.id} breaks a tag rule`);
    }
    const arbiterTag = mergedTagValue(node, device, 'arbiter');
    if (brick.arbiter && arbiterTag === 'disabled') problems.push(`arbiter brick on arbiter=disabled device ${device.id}`);
    if (!brick.arbiter && arbiterTag === 'required') problems.push(`data brick on arbiter=required device ${device.id}`);
    const sizes = thinPoolSizes(brick.sizeKib, req.snapshotFactor, limits.extentKib);
    if (sizes.reservedKib !== brick.reservedKib || sizes.tpSizeKib !== brick.tpSizeKib) problems.push('reservation mismatch');
    used.set(device.id, (used.get(device.id) ?? 0) + brick.reservedKib);
    const set = sets.get(brick.setIndex) ?? [];
    set.push(brick);
    sets.set(brick.setIndex, set);
  }
  for (const [deviceId, reserved] of used) {
    const device = devices.get(deviceId)?.device;
    if (device && reserved >= device.freeKib) problems.push(`device ${deviceId} overcommitted: ${reserved} >= ${device.freeKib}`);
  }
  const cap = strictZoneCap(req.durability);
  for (const [setIndex, set] of sets) {
    if (set.length !== width) problems.push(`set ${setIndex} has ${set.length} bricks`);
    const positions = set.map((b) => b.position).sort((a, b) => a - b);
    if (positions.some((p, i) => p !== i)) problems.push(`set ${setIndex} positions ${positions.join(',')}`);
    if (new Set(set.map((b) => b.nodeId)).size !== set.length) problems.push(`set ${setIndex} has two bricks on one node`);
    if (req.zoneChecking === 'strict') {
      const perZone = new Map<number, number>();
      for (const b of set) perZone.set(b.zone, (perZone.get(b.zone) ?? 0) + 1);
      if ([...perZone.values()].some((n) => n > cap)) problems.push(`set ${setIndex} puts more than ${cap} bricks in a zone`);
    }
  }
  return problems;
}

/** Per zone, the bricks of one set. */
export function zonesOfSet(placement: VolumePlacement, setIndex: number): number[] {
  return placement.bricks
    .filter((b) => b.setIndex === setIndex)
    .sort((a, b) => a.position - b.position)
    .map((b) => b.zone);
}
