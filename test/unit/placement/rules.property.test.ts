/**
 * Property tests: random topologies and requests from a seeded generator. Every placement must obey the rules
 * of its zone checking mode; the oracle for "which devices could take a brick" is written here independently.
 */
import { setWidth, type Durability } from '../../../src/domain/durability';
import type { Tags } from '../../../src/domain/model';
import {
  mergedTagValue,
  placeVolume,
  sizingSteps,
  strictZoneCap,
  tagRuleMatches,
  type ClusterSnapshot,
  type PlacementLimits,
  type TagRule,
  type VolumePlacement,
  type VolumePlacementRequest,
  type ZoneChecking,
} from '../../../src/domain/placement';
import { thinPoolSizes } from '../../../src/domain/thin-pool';
import { cluster, LIMITS, prng, request, violations, type NodeSpec } from './fixtures';

type Random = ReturnType<typeof prng>;

const DURABILITIES: Durability[] = [
  { type: 'none' },
  { type: 'replicate', replica: 2 },
  { type: 'replicate', replica: 3 },
  { type: 'disperse', data: 2, redundancy: 1 },
  { type: 'disperse', data: 4, redundancy: 2 },
  { type: 'disperse', data: 8, redundancy: 3 },
];
const MODES: ZoneChecking[] = ['strict', 'best-effort', 'none'];

function randomCluster(random: Random, id: string): ClusterSnapshot {
  const zones = random.int(1, 6);
  const nodes: NodeSpec[] = [];
  const nodeCount = random.int(1, 14);
  for (let n = 0; n < nodeCount; n++) {
    const devices = Array.from({ length: random.int(1, 4) }, () => {
      const gib = random.pick([10, 50, 100, 500, 2048]);
      const roll = random.next();
      return {
        gib,
        freeGib: Math.round(gib * random.next() * 1000) / 1000,
        state: roll < 0.05 ? ('failed' as const) : roll < 0.1 ? ('offline' as const) : ('online' as const),
        tags: (random.next() < 0.3
          ? { disk: random.pick(['ssd', 'hdd']) }
          : random.next() < 0.1
            ? { arbiter: random.pick(['required', 'disabled']) }
            : {}) as Tags,
      };
    });
    const roll = random.next();
    nodes.push({
      zone: random.int(1, zones),
      devices,
      state: roll < 0.05 ? 'failed' : roll < 0.1 ? 'offline' : 'online',
      tags: random.next() < 0.2 ? { disk: random.pick(['ssd', 'hdd']) } : {},
    });
  }
  return cluster(id, nodes);
}

function randomRequest(random: Random): VolumePlacementRequest {
  const arbiter = random.next() < 0.15;
  const durability = arbiter ? ({ type: 'replicate', replica: 3 } as const) : random.pick(DURABILITIES);
  const tagRules: TagRule[] = random.next() < 0.2 ? [{ key: 'disk', value: random.pick(['ssd', 'hdd']), negate: random.next() < 0.5 }] : [];
  return request({
    sizeGib: random.pick([1, 3, 8, 20, 64, 100, 300, 1000, 3000]),
    durability,
    zoneChecking: random.pick(MODES),
    snapshotFactor: random.pick([1, 1, 1.5]),
    tagRules,
    arbiter,
  });
}

/** The oracle: data devices a brick could go to, by node and zone, given the running free space. */
function dataDevices(c: ClusterSnapshot, req: VolumePlacementRequest): Array<{ id: string; node: string; zone: number }> {
  const out: Array<{ id: string; node: string; zone: number }> = [];
  for (const node of c.nodes) {
    if (node.state !== 'online') continue;
    for (const device of node.devices) {
      if (device.state !== 'online') continue;
      if (!req.tagRules.every((r) => tagRuleMatches(r, mergedTagValue(node, device, r.key)))) continue;
      if (mergedTagValue(node, device, 'arbiter') === 'required') continue;
      out.push({ id: device.id, node: node.id, zone: node.zone });
    }
  }
  return out;
}

function nodesWithRoom(devices: ReturnType<typeof dataDevices>, free: Map<string, number>, reservedKib: number): Map<number, number> {
  const nodes = new Map<number, Set<string>>();
  for (const d of devices) {
    if ((free.get(d.id) as number) > reservedKib) {
      const set = nodes.get(d.zone) ?? new Set<string>();
      set.add(d.node);
      nodes.set(d.zone, set);
    }
  }
  return new Map([...nodes].map(([z, s]) => [z, s.size]));
}

/** Fewest bricks the fullest zone of a set can hold: the smallest m with sum_z min(m, nodes with room) >= width. */
function minimalMaxPerZone(width: number, perZone: Map<number, number>): number {
  for (let m = 1; m <= width; m++) {
    if ([...perZone.values()].reduce((s, n) => s + Math.min(m, n), 0) >= width) return m;
  }
  return Infinity;
}

function freeMap(c: ClusterSnapshot): Map<string, number> {
  return new Map(c.nodes.flatMap((n) => n.devices.map((d) => [d.id, d.freeKib] as const)));
}

const randomLimits = (random: Random): PlacementLimits => ({
  ...LIMITS,
  brickMaxSizeGib: random.pick([4096, 4096, 200, 50]),
  maxBricksPerVolume: random.pick([32, 32, 12, 64]),
});

describe('placement rules hold on random topologies', () => {
  const CASES = 600;

  it('every placement keeps nodes distinct, zones within the rule, devices within their free space', () => {
    const random = prng(7);
    let placed = 0;
    for (let i = 0; i < CASES; i++) {
      const c = randomCluster(random, `c${i}`);
      const req = randomRequest(random);
      const limits = randomLimits(random);
      const result = placeVolume([c], req, limits);
      if (!result.ok) {
        expect(result.failure.message).toMatch(/^No space/);
        continue;
      }
      placed++;
      expect({ i, problems: violations([c], req, result.placement, limits) }).toEqual({ i, problems: [] });
      expect(placeVolume([c], req, limits)).toEqual(result);
    }
    // The generator must exercise both outcomes for this to mean anything.
    expect(placed).toBeGreaterThan(CASES / 4);
    expect(placed).toBeLessThan(CASES);
  });

  it('best-effort spreads every set as far as the nodes with room allow', () => {
    const random = prng(11);
    let checked = 0;
    for (let i = 0; i < CASES; i++) {
      const c = randomCluster(random, `c${i}`);
      const req = { ...randomRequest(random), zoneChecking: 'best-effort' as const, arbiter: false };
      if (req.durability.type === 'replicate' && req.durability.replica === 3 && random.next() < 0.5) continue;
      const result = placeVolume([c], req, LIMITS);
      if (!result.ok) continue;
      const width = setWidth(req.durability);
      const devices = dataDevices(c, req);
      const free = freeMap(c);
      const reserved = (result.placement.bricks[0] as VolumePlacement['bricks'][number]).reservedKib;
      for (let s = 0; s < result.placement.setCount; s++) {
        const set = result.placement.bricks.filter((b) => b.setIndex === s);
        const perZone = new Map<number, number>();
        for (const b of set) perZone.set(b.zone, (perZone.get(b.zone) ?? 0) + 1);
        const expected = minimalMaxPerZone(width, nodesWithRoom(devices, free, reserved));
        expect({ i, s, max: Math.max(...perZone.values()) }).toEqual({ i, s, max: expected });
        for (const b of set) free.set(b.deviceId, (free.get(b.deviceId) as number) - b.reservedKib);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('strict never refuses a volume whose single set could meet the rule', () => {
    const random = prng(13);
    let feasible = 0;
    for (let i = 0; i < CASES; i++) {
      const c = randomCluster(random, `c${i}`);
      const req = { ...randomRequest(random), zoneChecking: 'strict' as const, arbiter: false };
      const first = sizingSteps(req.sizeGib, req.durability, LIMITS).next().value;
      if (!first || 'stop' in first || first.sets !== 1) continue;
      const reserved = thinPoolSizes(first.brickKib, req.snapshotFactor, LIMITS.extentKib).reservedKib;
      const perZone = nodesWithRoom(dataDevices(c, req), freeMap(c), reserved);
      const cap = strictZoneCap(req.durability);
      const canMeet = [...perZone.values()].reduce((s, n) => s + Math.min(cap, n), 0) >= setWidth(req.durability);
      const result = placeVolume([c], req, LIMITS);
      if (canMeet) {
        feasible++;
        expect({ i, ok: result.ok, sets: result.ok && result.placement.setCount }).toEqual({ i, ok: true, sets: 1 });
      }
    }
    expect(feasible).toBeGreaterThan(50);
  });
});
