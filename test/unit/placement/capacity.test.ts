import type { Durability } from '../../../src/domain/durability';
import { clusterCapacity, placeVolume, type ClusterSnapshot, type ZoneChecking } from '../../../src/domain/placement';
import { cluster, GIB, gridCluster, LIMITS, prng, request, type NodeSpec } from './fixtures';

const DURABILITIES: Array<[keyof ReturnType<typeof clusterCapacity>['largestVolumeGib'], Durability]> = [
  ['replicate2', { type: 'replicate', replica: 2 }],
  ['replicate3', { type: 'replicate', replica: 3 }],
  ['disperse4plus2', { type: 'disperse', data: 4, redundancy: 2 }],
];

const fits = (c: ClusterSnapshot, durability: Durability, sizeGib: number, zoneChecking: ZoneChecking): boolean =>
  placeVolume([c], request({ sizeGib, durability, zoneChecking }), LIMITS).ok;

describe('clusterCapacity', () => {
  it('reports each zone from online devices on online nodes', () => {
    const c = cluster('c', [
      { zone: 1, devices: [{ gib: 100, freeGib: 40 }, 200] },
      { zone: 1, devices: [300], state: 'offline' },
      { zone: 2, devices: [{ gib: 100, state: 'failed' }, { gib: 50, freeGib: 10 }] },
    ]);
    expect(clusterCapacity(c, LIMITS, 'strict').zones).toEqual([
      { zone: 1, freeKib: 240 * GIB, totalKib: 300 * GIB, largestFreeDeviceKib: 200 * GIB, devices: 2 },
      { zone: 2, freeKib: 10 * GIB, totalKib: 50 * GIB, largestFreeDeviceKib: 10 * GIB, devices: 1 },
    ]);
  });

  it('answers the largest volumes for a small exact case', () => {
    // One 100 GiB device per zone: a 99 GiB brick holds back 99 GiB + 508 MiB; a 100 GiB one does not fit.
    expect(clusterCapacity(gridCluster('c', 3, 1, [100]), LIMITS, 'strict').largestVolumeGib.replicate3).toBe(99);
    // Six devices for a 4+2 set: 397 GiB makes 99.25 GiB bricks holding back 99.75 GiB; 398 would need all 100.
    expect(clusterCapacity(gridCluster('c', 3, 2, [100]), LIMITS, 'strict').largestVolumeGib.disperse4plus2).toBe(397);
  });

  it('answers 0 when the zone rule cannot be met, and what best-effort would give otherwise', () => {
    // Two zones of two 100 GiB nodes: replica 2 takes 2 sets of 99 GiB (99.5 GiB bricks would hold back 100 GiB).
    const c = gridCluster('c', 2, 2, [100]);
    expect(clusterCapacity(c, LIMITS, 'strict').largestVolumeGib).toEqual({ replicate2: 198, replicate3: 0, disperse4plus2: 0 });
    const relaxed = clusterCapacity(c, LIMITS, 'best-effort').largestVolumeGib;
    expect(relaxed.replicate3).toBeGreaterThan(0);
    expect(relaxed.disperse4plus2).toBe(0);
  });

  it('answers 0 for a cluster that takes no more file volumes', () => {
    const c = { ...gridCluster('c', 3, 1, [100]), volumeCount: LIMITS.maxVolumesPerCluster };
    expect(clusterCapacity(c, LIMITS, 'strict').largestVolumeGib).toEqual({ replicate2: 0, replicate3: 0, disperse4plus2: 0 });
  });

  it('matches what placeVolume achieves: the answer fits and one GiB more does not (random topologies)', () => {
    const random = prng(20240601);
    const sizes = [5, 20, 100, 500, 2048];
    for (let i = 0; i < 25; i++) {
      const zones = random.int(1, 5);
      const nodes: NodeSpec[] = [];
      const nodeCount = random.int(2, 9);
      for (let n = 0; n < nodeCount; n++) {
        const devices = Array.from({ length: random.int(1, 3) }, () => {
          const gib = random.pick(sizes);
          return { gib, freeGib: Math.round(gib * random.next() * 100) / 100 };
        });
        nodes.push({ zone: random.int(1, zones), devices, state: random.next() < 0.1 ? 'offline' : 'online' });
      }
      const c = cluster(`r${i}`, nodes);
      const mode: ZoneChecking = random.pick(['strict', 'best-effort', 'none'] as const);
      const capacity = clusterCapacity(c, LIMITS, mode);
      for (const [key, durability] of DURABILITIES) {
        const largest = capacity.largestVolumeGib[key];
        if (largest > 0) expect([key, largest, fits(c, durability, largest, mode)]).toEqual([key, largest, true]);
        const minimum = durability.type === 'disperse' ? durability.data : 1;
        expect([key, largest, fits(c, durability, Math.max(largest + 1, minimum), mode)]).toEqual([key, largest, false]);
      }
    }
  });
});
