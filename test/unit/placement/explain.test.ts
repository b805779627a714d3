import { formatPlacementFailure, placeVolume, type PlacementFailure } from '../../../src/domain/placement';
import { cluster, gridCluster, LIMITS, request } from './fixtures';

function failureOf(...args: Parameters<typeof placeVolume>): PlacementFailure {
  const result = placeVolume(...args);
  if (result.ok) throw new Error('expected a failure');
  return result.failure;
}

describe('failure messages', () => {
  it('names the strict zone rule and the zones that are usable', () => {
    const c = cluster('X', [
      { zone: 1, devices: [100] },
      { zone: 2, devices: [100] },
      { zone: 2, devices: [100] },
      { zone: 3, devices: [1] },
    ]);
    const failure = failureOf([c], request({ sizeGib: 10 }), LIMITS);
    // The smallest layout tried is 8 sets of 1.25 GiB (16 sets would pass 32 bricks).
    expect(failure.message).toBe(
      'No space: cluster X cannot hold 10 GiB as replica 3: only zones 1, 2 have room for a 1.3 GiB brick; ' +
        'replica 3 needs 3 nodes in 3 different zones; ' +
        'largest volume that fits now (301 GiB free): replica 3 none, replica 2 99 GiB, disperse 4+2 none; ' +
        'zone checking best-effort would place it, with less protection; ' +
        'zone 1: 1 usable device, 100 GiB free, largest device 100 GiB free; ' +
        'zone 2: 2 usable devices, 200 GiB free, largest device 100 GiB free; ' +
        'zone 3: 0 usable devices, 1 GiB free, largest device 1 GiB free; passed over 1: 1 too small',
    );
    expect(failure.noSpace).toBe(true);
    expect(failure.clusters).toEqual([
      {
        clusterId: 'X',
        code: 'zone_rule',
        reason: failure.message.slice('No space: '.length),
        zones: [
          { zone: 1, freeKib: 100 * 1024 * 1024, largestFreeDeviceKib: 100 * 1024 * 1024, usableDevices: 1, excluded: [] },
          { zone: 2, freeKib: 200 * 1024 * 1024, largestFreeDeviceKib: 100 * 1024 * 1024, usableDevices: 2, excluded: [] },
          {
            zone: 3,
            freeKib: 1024 * 1024,
            largestFreeDeviceKib: 1024 * 1024,
            usableDevices: 0,
            excluded: [{ deviceId: 'n3d0', nodeId: 'n3', reason: 'too small (1 GiB free, a brick needs more than 1.3 GiB)' }],
          },
        ],
      },
    ]);
  });

  it('says when a cluster simply has too few zones for the rule', () => {
    const c = gridCluster('two', 2, 2, [100]);
    const failure = failureOf([c], request({ durability: { type: 'disperse', data: 4, redundancy: 2 }, sizeGib: 8 }), LIMITS);
    expect(failure.message).toMatch(
      /^No space: cluster two cannot hold 8 GiB as disperse 4\+2: only zones 1, 2 have room for a 1 GiB brick; disperse 4\+2 needs 6 nodes with at most 2 per zone \(4 usable here\); largest volume that fits now \(400 GiB free\): disperse 4\+2 none, replica 3 none, replica 2 198 GiB;/,
    );
  });

  it('says first that too few nodes per zone stop a wide disperse set while space is free, and what fits now', () => {
    // The fresh clone's shape: 3 zones of 2 nodes, plenty of space; 8+4 needs 12 nodes, 4 per zone at most.
    const c = gridCluster('six', 3, 2, [500]);
    const failure = failureOf([c], request({ durability: { type: 'disperse', data: 8, redundancy: 4 }, sizeGib: 100 }), LIMITS);
    expect(failure.message).toMatch(
      /^No space: cluster six cannot hold 100 GiB as disperse 8\+4: only 2 nodes per zone have room for a [\d.]+ GiB brick; disperse 8\+4 needs 12 nodes with at most 4 per zone \(6 usable here\); /,
    );
    const largest = /largest volume that fits now \(2\.9 TiB free\): disperse 8\+4 none, replica 3 (\d+) GiB, replica 2 (\d+) GiB, disperse 4\+2 (\d+) GiB;/.exec(
      failure.message,
    );
    expect(largest).not.toBeNull();
    // each figure is the largest that really fits: it places, one GiB more does not
    const sizes = largest!.slice(1).map(Number);
    const durabilities = [
      { type: 'replicate', replica: 3 },
      { type: 'replicate', replica: 2 },
      { type: 'disperse', data: 4, redundancy: 2 },
    ] as const;
    durabilities.forEach((durability, i) => {
      expect(placeVolume([c], request({ durability, sizeGib: sizes[i]! }), LIMITS).ok).toBe(true);
      expect(placeVolume([c], request({ durability, sizeGib: sizes[i]! + 1 }), LIMITS).ok).toBe(false);
    });
    expect(failure.clusters[0]?.code).toBe('zone_rule');
  });

  it('lists nodes with room per zone when zones differ', () => {
    const c = cluster('u', [
      { zone: 1, devices: [100] },
      { zone: 1, devices: [100] },
      { zone: 2, devices: [100] },
      { zone: 3, devices: [100] },
    ]);
    const failure = failureOf([c], request({ durability: { type: 'disperse', data: 4, redundancy: 2 }, sizeGib: 8 }), LIMITS);
    expect(failure.message).toMatch(
      /^No space: cluster u cannot hold 8 GiB as disperse 4\+2: nodes with room for a 1 GiB brick per zone: zone 1: 2, zone 2: 1, zone 3: 1; disperse 4\+2 needs 6 nodes with at most 2 per zone \(4 usable here\);/,
    );
  });

  it('explains per zone: offline and failed nodes and devices, tag mismatches, too-small devices', () => {
    const c = cluster('c', [
      { zone: 1, devices: [100], state: 'offline' },
      { zone: 1, devices: [{ gib: 100, state: 'failed' }, { gib: 100, freeGib: 1 }] },
      { zone: 2, devices: [{ gib: 100, tags: { disk: 'hdd' } }, { gib: 100, state: 'offline' }] },
      { zone: 3, devices: [100], state: 'failed' },
      { zone: 3, devices: [{ gib: 100, tags: { disk: 'ssd' }, freeGib: 3 }] },
    ]);
    // 5 GiB is tried down to 4 sets of 1.25 GiB bricks; only zone 3 has a device that could take one.
    const failure = failureOf([c], request({ sizeGib: 5, tagRules: [{ key: 'disk', value: 'hdd', negate: true }] }), LIMITS);
    expect(failure.message).toMatch(
      /^No space: cluster c cannot hold 5 GiB as replica 3: only zone 3 has room for a 1.3 GiB brick; replica 3 needs 3 nodes in 3 different zones; /,
    );
    expect(failure.message).toContain(
      'zone 1: 0 usable devices, 1 GiB free, largest device 1 GiB free; passed over 3: 1 too small, 1 node offline, 1 device failed',
    );
    expect(failure.message).toContain(
      'zone 2: 0 usable devices, 0 KiB free, largest device 0 KiB free; passed over 2: 1 tag mismatch (disk!=hdd), 1 device offline',
    );
    expect(failure.message).toContain('zone 3: 1 usable device, 3 GiB free, largest device 3 GiB free; passed over 1: 1 node failed');
    expect(failure.clusters[0]?.zones[0]?.excluded).toEqual([
      { deviceId: 'n1d1', nodeId: 'n1', reason: 'too small (1 GiB free, a brick needs more than 1.3 GiB)' },
      { deviceId: 'n0d0', nodeId: 'n0', reason: 'node offline' },
      { deviceId: 'n1d0', nodeId: 'n1', reason: 'device failed' },
    ]);
  });

  it('says plainly when the zones are there but the space is not', () => {
    const c = gridCluster('a', 3, 1, [5]);
    const failure = failureOf([c], request({ sizeGib: 20 }), LIMITS);
    expect(failure.message).toBe(
      'No space: cluster a has no room for 20 GiB as replica 3 (tried 1 to 8 sets, smallest brick 2.5 GiB; ' +
        '16 sets would make 48 bricks, above max_bricks_per_volume (32)); ' +
        'largest volume that fits now (15 GiB free): replica 3 4 GiB, replica 2 6 GiB, disperse 4+2 none; ' +
        'zone 1: 1 usable device, 5 GiB free, largest device 5 GiB free; ' +
        'zone 2: 1 usable device, 5 GiB free, largest device 5 GiB free; ' +
        'zone 3: 1 usable device, 5 GiB free, largest device 5 GiB free',
    );
    expect(failure.clusters[0]?.code).toBe('no_space');
  });

  it('reports every cluster it tried and every cluster it skipped', () => {
    const clusters = [gridCluster('a', 3, 1, [5]), { ...gridCluster('b', 3, 1, [100]), file: false }];
    const failure = failureOf(clusters, request({ sizeGib: 10, clusters: ['a', 'b', 'zz'] }), LIMITS);
    expect(failure.message).toMatch(/^No space on any of 3 clusters: cluster a has no room for 10 GiB as replica 3 /);
    expect(failure.message).toContain(' | cluster b does not allow file volumes | cluster zz does not exist');
    expect(failure.clusters.map((c) => c.code)).toEqual(['no_space', 'file_disabled', 'not_found']);
  });

  it('does not claim "No space" when no cluster could be tried for other reasons', () => {
    const failure = failureOf([gridCluster('a', 3, 1, [100])], request({ clustersWithName: ['a'] }), LIMITS);
    expect(failure).toMatchObject({ message: 'No cluster can take the volume: cluster a already has a volume with this name', noSpace: false });
  });

  it('counts a cluster at max_volumes_per_cluster as out of space', () => {
    const failure = failureOf([{ ...gridCluster('a', 3, 1, [100]), volumeCount: 5 }], request(), { ...LIMITS, maxVolumesPerCluster: 5 });
    expect(failure.message).toBe('No space: cluster a holds 5 volumes, the most max_volumes_per_cluster allows (5)');
  });

  it('formats a report for people with every passed-over device', () => {
    const c = cluster('c', [
      { zone: 1, devices: [100], state: 'offline' },
      { zone: 2, devices: [100] },
      { zone: 3, devices: [100] },
    ]);
    const failure = failureOf([c], request({ zoneChecking: 'strict' }), LIMITS);
    const lines = formatPlacementFailure(failure).split('\n');
    expect(lines[0]).toBe(failure.message);
    expect(lines.slice(1)).toEqual([
      `cluster c: ${failure.clusters[0]?.reason}`,
      '  zone 1: 0 usable devices, 0 KiB free, largest device 0 KiB free; passed over 1: 1 node offline',
      '    device n0d0 on node n0: node offline',
      '  zone 2: 1 usable device, 100 GiB free, largest device 100 GiB free',
      '  zone 3: 1 usable device, 100 GiB free, largest device 100 GiB free',
    ]);
  });

  it('says there is no cluster at all', () => {
    expect(failureOf([], request(), LIMITS).message).toBe('No space: there is no cluster to place the volume in');
  });
});
