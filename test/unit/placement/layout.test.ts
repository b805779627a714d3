import { applyPlacement, placeVolume, type ClusterSnapshot, type VolumePlacement } from '../../../src/domain/placement';
import { cluster, GIB, gridCluster, LIMITS, request, violations } from './fixtures';

function place(clusters: ClusterSnapshot[], partial: Parameters<typeof request>[0] = {}): VolumePlacement {
  const result = placeVolume(clusters, request(partial), LIMITS);
  if (!result.ok) throw new Error(result.failure.message);
  expect(violations(clusters, request(partial), result.placement)).toEqual([]);
  return result.placement;
}

const layout = (p: VolumePlacement): string[] => p.bricks.map((b) => `${b.setIndex}.${b.position} ${b.deviceId} z${b.zone}`);

describe('exact layouts', () => {
  it('puts a replica 3 set on one device in each zone, zones in order when they are equal', () => {
    const c = gridCluster('c1', 3, 1, [100]);
    const p = place([c], { sizeGib: 10 });
    expect(layout(p)).toEqual(['0.0 n0d0 z1', '0.1 n1d0 z2', '0.2 n2d0 z3']);
    // 10 GiB brick: the pool is the brick, metadata 0.5% rounded up to a 4 MiB extent.
    expect(p.bricks[0]).toEqual({
      deviceId: 'n0d0',
      nodeId: 'n0',
      zone: 1,
      setIndex: 0,
      position: 0,
      sizeKib: 10 * GIB,
      tpSizeKib: 10 * GIB,
      poolMetadataKib: 53248,
      reservedKib: 10 * GIB + 53248,
      arbiter: false,
    });
    expect(p).toMatchObject({ clusterId: 'c1', brickSizeKib: 10 * GIB, setCount: 1 });
  });

  it('takes zones with the most free space first', () => {
    const c = cluster('c1', [
      { zone: 1, devices: [100] },
      { zone: 2, devices: [300] },
      { zone: 3, devices: [200] },
      { zone: 4, devices: [{ gib: 500, freeGib: 50 }] },
    ]);
    expect(layout(place([c]))).toEqual(['0.0 n1d0 z2', '0.1 n2d0 z3', '0.2 n0d0 z1']);
  });

  it('takes the node with the most free space inside a zone', () => {
    const c = cluster('c1', [
      { zone: 1, devices: [{ gib: 100, freeGib: 40 }, { gib: 100, freeGib: 50 }] },
      { zone: 1, devices: [{ gib: 100, freeGib: 95 }] },
      { zone: 2, devices: [100] },
      { zone: 3, devices: [100] },
    ]);
    expect(place([c]).bricks.find((b) => b.zone === 1)?.deviceId).toBe('n1d0');
  });

  describe('on a node', () => {
    const devicesOf = (p: VolumePlacement): string[] => [...new Set(p.bricks.map((b) => b.deviceId.slice(-2)))];
    function sequence(start: ClusterSnapshot, sizes: number[]): string[][] {
      let clusters = [start];
      return sizes.map((sizeGib) => {
        const p = place(clusters, { sizeGib });
        clusters = applyPlacement(clusters, p);
        return devicesOf(p);
      });
    }

    it('spreads bricks over the disks: the device with the fewest bricks takes the next one', () => {
      // Three equal disks per node: tightest-first put every brick on d0 and left d1 and d2 empty.
      expect(sequence(gridCluster('c1', 3, 1, [100, 100, 100]), [10, 10, 10, 10])).toEqual([['d0'], ['d1'], ['d2'], ['d0']]);
    });

    it('among devices with as many bricks, takes the tightest fit, keeping the large disk whole longest', () => {
      expect(sequence(gridCluster('c1', 3, 1, [100, 200]), [10, 10, 10])).toEqual([['d0'], ['d1'], ['d0']]);
    });

    it('packs first: a brick that leaves under 2% of a device free goes there whatever its brick count', () => {
      // 39 GiB holds back 39.2 GiB; d0 has 39.7 GiB left after 60 GiB, so 0.5 GiB (0.5%) would stay free.
      expect(sequence(gridCluster('c1', 3, 1, [100, 100]), [60, 39])).toEqual([['d0'], ['d0']]);
      // 30 GiB would leave 9.5 GiB (9.5%) on d0: not packing, so the empty d1 takes it.
      expect(sequence(gridCluster('c1', 3, 1, [100, 100]), [60, 30])).toEqual([['d0'], ['d1']]);
    });
  });

  it('places disperse 4+2 on three zones, two bricks per zone on distinct nodes', () => {
    const c = gridCluster('c1', 3, 2, [100]);
    const p = place([c], { sizeGib: 8, durability: { type: 'disperse', data: 4, redundancy: 2 } });
    expect(p.brickSizeKib).toBe(2 * GIB);
    expect(layout(p)).toEqual(['0.0 n0d0 z1', '0.1 n2d0 z2', '0.2 n4d0 z3', '0.3 n1d0 z1', '0.4 n3d0 z2', '0.5 n5d0 z3']);
  });

  it('counts every brick of one placement against its device (two sets on one device)', () => {
    // 120 GiB in 2 sets of 60: the second set would need a second 60 GiB on 70 GiB devices.
    const single = gridCluster('c1', 3, 1, [70]);
    const result = placeVolume([single], request({ sizeGib: 120 }), LIMITS);
    expect(result.ok).toBe(false);
    const two = gridCluster('c1', 3, 1, [70, 70]);
    const p = place([two], { sizeGib: 120 });
    expect(p.setCount).toBe(2);
    expect(layout(p)).toEqual([
      '0.0 n0d0 z1', '0.1 n1d0 z2', '0.2 n2d0 z3',
      '1.0 n0d1 z1', '1.1 n1d1 z2', '1.2 n2d1 z3',
    ]);
  });

  it('lets sets of one volume share a device when it has room for both', () => {
    // brick_max_size_gb 50 splits 100 GiB into 2 sets of 50; each zone has one 200 GiB device.
    const c = gridCluster('c1', 3, 1, [200]);
    const result = placeVolume([c], request({ sizeGib: 100 }), { ...LIMITS, brickMaxSizeGib: 50 });
    expect(result.ok && layout(result.placement)).toEqual([
      '0.0 n0d0 z1', '0.1 n1d0 z2', '0.2 n2d0 z3',
      '1.0 n0d0 z1', '1.1 n1d0 z2', '1.2 n2d0 z3',
    ]);
  });

  it('numbers the sets of an expansion from firstSetIndex', () => {
    const c = gridCluster('c1', 3, 1, [100]);
    const p = place([c], { sizeGib: 10, firstSetIndex: 4, existingBricks: 12 });
    expect(p.bricks.map((b) => b.setIndex)).toEqual([4, 4, 4]);
  });

  it('is deterministic: the same answer whatever the order of nodes and devices', () => {
    const c = gridCluster('c1', 4, 3, [100, 100, 50]);
    const shuffled: ClusterSnapshot = {
      ...c,
      nodes: [...c.nodes].reverse().map((n) => ({ ...n, devices: [...n.devices].reverse() })),
    };
    for (const sizeGib of [1, 7, 30, 120]) {
      const a = place([c], { sizeGib });
      expect(place([c], { sizeGib })).toEqual(a);
      expect(place([shuffled], { sizeGib })).toEqual(a);
    }
  });

  it('keeps equal zones filling evenly over a stream of volumes', () => {
    let clusters = [gridCluster('c1', 5, 2, [1000])];
    for (let i = 0; i < 60; i++) {
      const result = placeVolume(clusters, request({ sizeGib: 10 }), LIMITS);
      if (!result.ok) throw new Error(result.failure.message);
      clusters = applyPlacement(clusters, result.placement);
    }
    const freeByZone = new Map<number, number>();
    const freeByDevice: number[] = [];
    for (const n of clusters[0]!.nodes) {
      for (const d of n.devices) {
        freeByZone.set(n.zone, (freeByZone.get(n.zone) ?? 0) + d.freeKib);
        freeByDevice.push(d.freeKib);
      }
    }
    // 180 bricks over 5 zones and 10 devices: exactly 36 per zone and 18 per device.
    expect(new Set(freeByZone.values()).size).toBe(1);
    expect(new Set(freeByDevice).size).toBe(1);
  });
});

describe('modes and exclusions', () => {
  it('never uses offline or failed nodes and devices, however roomy', () => {
    const c = cluster('c1', [
      { zone: 1, devices: [5000], state: 'offline' },
      { zone: 1, devices: [{ gib: 5000, state: 'failed' }, 100] },
      { zone: 2, devices: [5000], state: 'failed' },
      { zone: 2, devices: [{ gib: 5000, state: 'offline' }, 100] },
      { zone: 3, devices: [100] },
    ]);
    expect(layout(place([c]))).toEqual(['0.0 n1d1 z1', '0.1 n3d1 z2', '0.2 n4d0 z3']);
  });

  it('with zone checking none, ignores zones but still keeps a set on distinct nodes', () => {
    const c = cluster('c1', [
      { zone: 1, devices: [1000] },
      { zone: 1, devices: [1000] },
      { zone: 1, devices: [{ gib: 1000, freeGib: 900 }, 1000] },
      { zone: 2, devices: [100] },
      { zone: 3, devices: [100] },
    ]);
    expect(layout(place([c], { zoneChecking: 'none' }))).toEqual(['0.0 n2d0 z1', '0.1 n0d0 z1', '0.2 n1d0 z1']);
    expect(layout(place([c], { zoneChecking: 'best-effort' }))).toEqual(['0.0 n2d0 z1', '0.1 n3d0 z2', '0.2 n4d0 z3']);
  });

  it('with best-effort, spreads as far as the zones allow when strict would refuse', () => {
    const c = gridCluster('c1', 2, 2, [100]);
    expect(placeVolume([c], request(), LIMITS).ok).toBe(false);
    expect(layout(place([c], { zoneChecking: 'best-effort' }))).toEqual(['0.0 n0d0 z1', '0.1 n2d0 z2', '0.2 n1d0 z1']);
  });

  it('refuses malformed requests', () => {
    const c = gridCluster('c1', 3, 1, [100]);
    expect(() => placeVolume([c], request({ sizeGib: 0 }), LIMITS)).toThrow('validation failed: size: must be a positive whole number of GiB');
    expect(() => placeVolume([c], request({ snapshotFactor: 0.5 }), LIMITS)).toThrow('validation failed: snapshot.factor: must be at least 1');
    expect(() => placeVolume([c], request({ durability: { type: 'disperse', data: 3, redundancy: 1 } }), LIMITS)).toThrow(
      'validation failed: durability: disperse 3+1 is not a supported combination',
    );
    expect(() => placeVolume([c], request({ durability: { type: 'replicate', replica: 4 } }), LIMITS)).toThrow(
      'validation failed: durability: replica must be 1 to 3',
    );
  });
});

describe('cluster choice', () => {
  const roomy = (id: string, extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({ ...gridCluster(id, 3, 1, [100]), ...extra });

  it('tries the requested clusters in the given order, first fit wins', () => {
    const clusters = [roomy('a'), roomy('b'), roomy('c')];
    expect(place(clusters, { clusters: ['c', 'a'] }).clusterId).toBe('c');
  });

  it('tries all clusters by id when none is named', () => {
    const clusters = [roomy('b'), roomy('c'), roomy('a', { file: false })];
    expect(place(clusters).clusterId).toBe('b');
  });

  it('skips clusters without file volumes, holding the name, or at max volumes', () => {
    const clusters = [
      roomy('a', { file: false }),
      roomy('b'),
      roomy('c', { volumeCount: LIMITS.maxVolumesPerCluster }),
      roomy('d'),
    ];
    expect(place(clusters, { clustersWithName: ['b'] }).clusterId).toBe('d');
  });

  it('goes to the next cluster when the first has no room', () => {
    const clusters = [gridCluster('a', 3, 1, [5]), roomy('b')];
    expect(place(clusters, { sizeGib: 10 }).clusterId).toBe('b');
  });

  it('expands a volume in its cluster even when that cluster takes no new volumes', () => {
    for (const c of [roomy('a', { volumeCount: LIMITS.maxVolumesPerCluster }), roomy('a', { file: false })]) {
      expect(placeVolume([c], request(), LIMITS).ok).toBe(false);
      expect(place([c], { clusters: ['a'], firstSetIndex: 1, existingBricks: 3 }).clusterId).toBe('a');
    }
  });

  it('puts block-hosting volumes only on block clusters', () => {
    const clusters = [roomy('a'), roomy('b', { block: true })];
    expect(place(clusters, { blockHosting: true }).clusterId).toBe('b');
  });
});
