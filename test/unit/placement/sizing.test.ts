import { arbiterBrickKib, placeVolume, sizingSteps, type PlacementLimits } from '../../../src/domain/placement';
import { GIB, gridCluster, LIMITS, request, violations } from './fixtures';

const steps = (sizeGib: number, limits: PlacementLimits, durability = { type: 'replicate', replica: 3 } as const, existing = 0) =>
  [...sizingSteps(sizeGib, durability, limits, existing)];

describe('sizing loop (Heketi)', () => {
  it('starts with one set of volume-sized bricks and halves down to brick_min_size_gb', () => {
    expect(steps(8, LIMITS)).toEqual([
      { sets: 1, brickKib: 8 * GIB },
      { sets: 2, brickKib: 4 * GIB },
      { sets: 4, brickKib: 2 * GIB },
      { sets: 8, brickKib: 1 * GIB },
      { stop: 'min_brick_size', sets: 16, brickKib: GIB / 2 },
    ]);
  });

  it('doubles the sets while a brick is above brick_max_size_gb, without trying those layouts', () => {
    expect(steps(100, { ...LIMITS, brickMaxSizeGib: 30 }).slice(0, 2)).toEqual([
      { sets: 4, brickKib: 25 * GIB },
      { sets: 8, brickKib: 12.5 * GIB },
    ]);
  });

  it('stops when the bricks (with the existing ones) would pass max_bricks_per_volume', () => {
    expect(steps(1000, LIMITS).map((s) => s.sets)).toEqual([1, 2, 4, 8, 16]);
    expect(steps(1000, LIMITS).at(-1)).toEqual({ stop: 'max_bricks', sets: 16, brickKib: 62.5 * GIB });
    expect(steps(1000, LIMITS, { type: 'replicate', replica: 3 }, 9).at(-1)).toMatchObject({ stop: 'max_bricks', sets: 8 });
  });

  it('divides the brick by the data count for disperse, rounding down to whole KiB', () => {
    expect(steps(10, LIMITS, { type: 'disperse', data: 4, redundancy: 2 } as never)[0]).toEqual({ sets: 1, brickKib: 2.5 * GIB });
    expect(steps(1, LIMITS, { type: 'disperse', data: 8, redundancy: 3 } as never)[0]).toEqual({
      stop: 'min_brick_size',
      sets: 1,
      brickKib: 131072,
    });
    expect(steps(11, { ...LIMITS, brickMinSizeGib: 0.001 }, { type: 'disperse', data: 8, redundancy: 3 } as never)[0]).toEqual({
      sets: 1,
      brickKib: Math.floor((11 * GIB) / 8),
    });
  });
});

describe('sizing in placeVolume', () => {
  it('splits into more sets only when no single set fits', () => {
    const roomy = gridCluster('c', 3, 1, [100, 100]);
    const one = placeVolume([roomy], request({ sizeGib: 90 }), LIMITS);
    expect(one.ok && one.placement.setCount).toBe(1);
    const tight = gridCluster('c', 3, 1, [60, 60]);
    const two = placeVolume([tight], request({ sizeGib: 90 }), LIMITS);
    expect(two.ok && [two.placement.setCount, two.placement.brickSizeKib]).toEqual([2, 45 * GIB]);
  });

  it('splits a volume above brick_max_size_gb into sets of at most that size', () => {
    const c = gridCluster('c', 3, 2, [500]);
    const result = placeVolume([c], request({ sizeGib: 100 }), { ...LIMITS, brickMaxSizeGib: 30 });
    expect(result.ok && [result.placement.setCount, result.placement.brickSizeKib]).toEqual([4, 25 * GIB]);
    if (result.ok) expect(violations([c], request({ sizeGib: 100 }), result.placement)).toEqual([]);
  });

  it('gives up at brick_min_size_gb and says so', () => {
    // 2.5 GiB of room per zone, in 1 GiB-ish pieces that cannot take a 2 GiB brick: 3 GiB would need 1.5 GiB bricks.
    const c = gridCluster('c', 3, 1, [1.2, 1.2]);
    const result = placeVolume([c], request({ sizeGib: 3 }), { ...LIMITS, maxBricksPerVolume: 100 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.message).toMatch(/^No space: /);
      expect(result.failure.message).toContain('bricks of 768 MiB would be below brick_min_size_gb (1 GiB)');
      expect(result.failure.clusters[0]?.code).toBe('no_space');
    }
  });

  it('gives up when more sets would pass max_bricks_per_volume, counting the bricks an expansion already has', () => {
    const c = gridCluster('c', 3, 1, [20, 20, 20, 20]);
    // 64 GiB needs 4 sets of 16 GiB (12 bricks); with 24 existing bricks that passes 32 at once.
    const fresh = placeVolume([c], request({ sizeGib: 64 }), LIMITS);
    expect(fresh.ok && fresh.placement.setCount).toBe(4);
    const grown = placeVolume([c], request({ sizeGib: 64, existingBricks: 24, firstSetIndex: 8 }), LIMITS);
    expect(grown.ok).toBe(false);
    if (!grown.ok) expect(grown.failure.message).toContain('4 sets would make 12 bricks with the 24 it has, above max_bricks_per_volume (32)');
  });

  it('refuses a volume whose first brick is already below the minimum before looking for space', () => {
    const c = gridCluster('c', 3, 2, [100]);
    const result = placeVolume([c], request({ sizeGib: 2, durability: { type: 'disperse', data: 4, redundancy: 2 } }), LIMITS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.clusters[0]?.code).toBe('min_brick_size');
      expect(result.failure.message).toContain('cannot hold 2 GiB as disperse 4+2: bricks of 512 MiB would be below brick_min_size_gb (1 GiB)');
    }
  });

  it('accounts the snapshot factor in the thin pool', () => {
    const c = gridCluster('c', 3, 1, [100]);
    const result = placeVolume([c], request({ sizeGib: 10, snapshotFactor: 1.5 }), LIMITS);
    expect(result.ok && result.placement.bricks[0]).toMatchObject({ sizeKib: 10 * GIB, tpSizeKib: 15 * GIB, poolMetadataKib: 81920 });
  });
});

describe('arbiter brick size (Heketi: data brick / average file size, at least 16 MiB)', () => {
  it('divides the data brick by the average file size', () => {
    expect(arbiterBrickKib(1024 * GIB, 64)).toBe(16 * GIB);
    expect(arbiterBrickKib(100 * GIB, 64)).toBe(1638400);
  });

  it('never goes below 16 MiB', () => {
    expect(arbiterBrickKib(1 * GIB, 64)).toBe(16384);
    expect(arbiterBrickKib(512 * 1024, 64)).toBe(16384);
  });

  it('refuses a data brick smaller than the average file size', () => {
    expect(arbiterBrickKib(32, 64)).toBeNull();
  });
});
