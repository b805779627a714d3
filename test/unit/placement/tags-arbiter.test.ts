import { DomainError } from '../../../src/domain/errors';
import { placeVolume, type VolumePlacement } from '../../../src/domain/placement';
import { cluster, GIB, gridCluster, LIMITS, request, violations } from './fixtures';

const layout = (p: VolumePlacement): string[] =>
  p.bricks.map((b) => `${b.setIndex}.${b.position} ${b.deviceId} z${b.zone}${b.arbiter ? ' arbiter' : ''}`);

function placed(result: ReturnType<typeof placeVolume>): VolumePlacement {
  if (!result.ok) throw new Error(result.failure.message);
  return result.placement;
}

describe('device tag rules', () => {
  // Zone by zone: a node tagged disk=ssd whose first device overrides it with disk=hdd, and an untagged node.
  const c = cluster('c', [
    { zone: 1, tags: { disk: 'ssd' }, devices: [{ gib: 500, tags: { disk: 'hdd' } }, 100] },
    { zone: 2, tags: { disk: 'ssd' }, devices: [{ gib: 500, tags: { disk: 'hdd' } }, 100] },
    { zone: 3, tags: { disk: 'ssd' }, devices: [{ gib: 500, tags: { disk: 'hdd' } }, 100] },
    { zone: 1, devices: [1000] },
  ]);

  it('matches node tags overlaid by device tags', () => {
    const req = request({ tagRules: [{ key: 'disk', value: 'ssd', negate: false }] });
    const p = placed(placeVolume([c], req, LIMITS));
    expect(p.bricks.map((b) => b.deviceId).sort()).toEqual(['n0d1', 'n1d1', 'n2d1']);
    expect(violations([c], req, p)).toEqual([]);
  });

  it('with != also matches devices that have no such tag', () => {
    const req = request({ tagRules: [{ key: 'disk', value: 'ssd', negate: true }] });
    const p = placed(placeVolume([c], req, LIMITS));
    // The untagged 1000 GiB device in zone 1 is the roomiest match there.
    expect(p.bricks.map((b) => b.deviceId).sort()).toEqual(['n1d0', 'n2d0', 'n3d0']);
  });

  it('requires every rule to match', () => {
    const req = request({
      tagRules: [
        { key: 'disk', value: 'ssd', negate: true },
        { key: 'disk', value: 'hdd', negate: false },
      ],
    });
    const p = placed(placeVolume([c], req, LIMITS));
    expect(p.bricks.map((b) => b.deviceId).sort()).toEqual(['n0d0', 'n1d0', 'n2d0']);
  });

  it('fails with the rule named when no device matches', () => {
    const result = placeVolume([c], request({ tagRules: [{ key: 'disk', value: 'nvme', negate: false }] }), LIMITS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.message).toMatch(/^No space: /);
      expect(result.failure.message).toContain('zone 1: 0 usable devices, 0 KiB free, largest device 0 KiB free; passed over 3: 3 tag mismatch (disk=nvme)');
    }
  });
});

describe('arbiter volumes', () => {
  const arbiterReq = (partial: Parameters<typeof request>[0] = {}) => request({ arbiter: true, sizeGib: 100, ...partial });

  it('puts a small arbiter brick at position 2, sized data brick / average file size', () => {
    const c = gridCluster('c', 3, 1, [1000]);
    const p = placed(placeVolume([c], arbiterReq(), LIMITS));
    expect(layout(p)).toEqual(['0.0 n1d0 z2', '0.1 n2d0 z3', '0.2 n0d0 z1 arbiter']);
    expect(p.arbiterBrickSizeKib).toBe((100 * GIB) / 64);
    expect(p.bricks[2]).toMatchObject({ sizeKib: 1638400, tpSizeKib: 1638400, poolMetadataKib: 8192, arbiter: true });
    expect(p.bricks[0]).toMatchObject({ sizeKib: 100 * GIB, arbiter: false });
    expect(violations([c], arbiterReq(), p)).toEqual([]);
  });

  it('sizes the arbiter brick by the configured average file size, at least 16 MiB', () => {
    const c = gridCluster('c', 3, 1, [1000]);
    const big = placed(placeVolume([c], arbiterReq(), { ...LIMITS, averageFileSizeKb: 1024 }));
    expect(big.arbiterBrickSizeKib).toBe(102400);
    const small = placed(placeVolume([c], arbiterReq({ sizeGib: 1 }), LIMITS));
    expect(small.arbiterBrickSizeKib).toBe(16384);
  });

  it('moves the arbiter brick from zone to zone so data fills zones evenly', () => {
    const c = gridCluster('c', 3, 1, [1000]);
    const p = placed(placeVolume([c], arbiterReq({ sizeGib: 300 }), { ...LIMITS, brickMaxSizeGib: 100 }));
    // 300 GiB with 100 GiB bricks -> 4 sets of 75 GiB.
    expect(p.setCount).toBe(4);
    expect(p.bricks.filter((b) => b.arbiter).map((b) => b.zone)).toEqual([1, 2, 3, 1]);
  });

  it('prefers devices tagged arbiter=required for arbiter bricks and keeps data off them', () => {
    const c = cluster('c', [
      { zone: 1, devices: [1000] },
      { zone: 2, devices: [1000] },
      { zone: 3, devices: [1000] },
      { zone: 4, devices: [{ gib: 20, tags: { arbiter: 'required' } }] },
    ]);
    const p = placed(placeVolume([c], arbiterReq(), LIMITS));
    expect(layout(p)).toEqual(['0.0 n0d0 z1', '0.1 n1d0 z2', '0.2 n3d0 z4 arbiter']);
    const plain = placed(placeVolume([c], request({ sizeGib: 100 }), LIMITS));
    expect(plain.bricks.some((b) => b.deviceId === 'n3d0')).toBe(false);
  });

  it('never puts an arbiter brick on an arbiter=disabled device (node tag, device override)', () => {
    const c = cluster('c', [
      { zone: 1, devices: [{ gib: 1000, tags: { arbiter: 'disabled' } }] },
      { zone: 2, tags: { arbiter: 'disabled' }, devices: [1000] },
      { zone: 3, tags: { arbiter: 'disabled' }, devices: [{ gib: 1000, tags: { arbiter: 'supported' } }] },
    ]);
    const p = placed(placeVolume([c], arbiterReq(), LIMITS));
    expect(layout(p)).toEqual(['0.0 n0d0 z1', '0.1 n1d0 z2', '0.2 n2d0 z3 arbiter']);
  });

  it('fails when no device may take the arbiter brick', () => {
    const c = cluster('c', [
      { zone: 1, devices: [{ gib: 1000, tags: { arbiter: 'disabled' } }] },
      { zone: 2, devices: [{ gib: 1000, tags: { arbiter: 'disabled' } }] },
      { zone: 3, devices: [{ gib: 1000, tags: { arbiter: 'disabled' } }] },
    ]);
    const result = placeVolume([c], arbiterReq(), LIMITS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.message).toMatch(/^No space: cluster c has no room for 100 GiB as replica 3 with arbiter/);
  });

  it('is only for replica 3', () => {
    const c = gridCluster('c', 3, 1, [1000]);
    expect(() => placeVolume([c], arbiterReq({ durability: { type: 'replicate', replica: 2 } }), LIMITS)).toThrow(
      new DomainError('validation', 'validation failed: arbiter: arbiter volumes must be replica 3'),
    );
  });
});
