import { placeReplacement, placeVolume, type ClusterSnapshot, type PlannedBrick, type ReplacementRequest, type VolumePlacement } from '../../../src/domain/placement';
import { cluster, LIMITS, request } from './fixtures';

function volumeOn(c: ClusterSnapshot, partial: Parameters<typeof request>[0] = {}): VolumePlacement {
  const result = placeVolume([c], request(partial), LIMITS);
  if (!result.ok) throw new Error(result.failure.message);
  return result.placement;
}

function replacing(p: VolumePlacement, deviceId: string, partial: Partial<ReplacementRequest> = {}): ReplacementRequest {
  const brick = p.bricks.find((b) => b.deviceId === deviceId) as PlannedBrick;
  return {
    durability: { type: 'replicate', replica: 3 },
    zoneChecking: 'strict',
    tagRules: [],
    brick,
    siblings: p.bricks.filter((b) => b.setIndex === brick.setIndex && b !== brick).map(({ deviceId, nodeId, zone }) => ({ deviceId, nodeId, zone })),
    excludeDevices: [brick.deviceId],
    ...partial,
  };
}

const where = (r: ReturnType<typeof placeReplacement>): string => (r.ok ? `${r.brick.deviceId} z${r.brick.zone}` : r.failure.message);

describe('placeReplacement', () => {
  const fourZones = cluster('c', [
    { zone: 1, devices: [500] },
    { zone: 2, devices: [500] },
    { zone: 3, devices: [500] },
    { zone: 4, devices: [300] },
    { zone: 1, devices: [200] },
  ]);

  it('keeps the brick in its old zone when that zone has another node with room', () => {
    const p = volumeOn(fourZones);
    expect(p.bricks.map((b) => b.deviceId)).toEqual(['n0d0', 'n1d0', 'n2d0']);
    const result = placeReplacement(fourZones, replacing(p, 'n0d0'), LIMITS);
    expect(where(result)).toBe('n4d0 z1');
    if (result.ok) {
      const old = p.bricks[0] as PlannedBrick;
      expect(result.brick).toEqual({ ...old, deviceId: 'n4d0', nodeId: 'n4', zone: 1 });
    }
  });

  it('goes to another zone without siblings when the old zone has no room', () => {
    const p = volumeOn(fourZones);
    expect(where(placeReplacement(fourZones, replacing(p, 'n0d0', { excludeDevices: ['n0d0', 'n4d0'] }), LIMITS))).toBe('n3d0 z4');
  });

  it('refuses under strict zone checking when only sibling zones have room, naming the rule', () => {
    const c = cluster('c', [
      { zone: 1, devices: [500] },
      { zone: 2, devices: [500] },
      { zone: 3, devices: [500] },
      { zone: 2, devices: [500] },
    ]);
    const p = volumeOn(c);
    const strict = placeReplacement(c, replacing(p, 'n0d0'), LIMITS);
    expect(strict.ok).toBe(false);
    if (!strict.ok) {
      expect(strict.failure.message).toMatch(
        /^No space: cluster c cannot take the brick at position 1 of set 0 \(10 GiB\) of a replica 3 volume: replica 3 needs 3 zones with room: the other bricks of its set are in zones 2, 3, and only zone 2 has room; zone 1: 0 usable devices/,
      );
      expect(strict.failure.clusters[0]?.code).toBe('zone_rule');
    }
    expect(where(placeReplacement(c, replacing(p, 'n0d0', { zoneChecking: 'best-effort' }), LIMITS))).toBe('n3d0 z2');
  });

  it('never shares a node with a sibling, whatever the zone checking', () => {
    const c = cluster('c', [
      { zone: 1, devices: [500, 500] },
      { zone: 1, devices: [500] },
      { zone: 1, devices: [500] },
    ]);
    const p = volumeOn(c, { zoneChecking: 'none' });
    const first = p.bricks[0] as PlannedBrick;
    const result = placeReplacement(c, replacing(p, first.deviceId, { zoneChecking: 'none' }), LIMITS);
    // The old device's node n0 still has a second device and holds no sibling.
    expect(where(result)).toBe('n0d1 z1');
    const noRoom = placeReplacement(c, replacing(p, first.deviceId, { zoneChecking: 'none', excludeDevices: ['n0d1'] }), LIMITS);
    expect(noRoom.ok).toBe(false);
    if (!noRoom.ok) expect(noRoom.failure.message).toContain('no device apart from the nodes of the other bricks of its set has room');
  });

  it('keeps disperse bricks within R per zone', () => {
    const c = cluster(
      'c',
      [1, 2, 3].flatMap((zone) => [0, 1, 2].map(() => ({ zone, devices: [100] }))),
    );
    const p = volumeOn(c, { sizeGib: 8, durability: { type: 'disperse', data: 4, redundancy: 2 } });
    const zone2 = p.bricks.find((b) => b.zone === 2) as PlannedBrick;
    const req = replacing(p, zone2.deviceId, { durability: { type: 'disperse', data: 4, redundancy: 2 } });
    const result = placeReplacement(c, req, LIMITS);
    // Zones 1 and 3 hold two bricks each: only zone 2's unused node qualifies.
    expect(where(result)).toBe('n5d0 z2');
  });

  it('moves an arbiter brick only to a device that takes arbiter bricks, keeping its size', () => {
    const c = cluster('c', [
      { zone: 1, devices: [1000] },
      { zone: 2, devices: [1000] },
      { zone: 3, devices: [1000] },
      { zone: 1, devices: [{ gib: 1000, tags: { arbiter: 'disabled' } }] },
      { zone: 1, devices: [{ gib: 50, tags: { arbiter: 'required' } }] },
    ]);
    const p = volumeOn(c, { sizeGib: 100, arbiter: true });
    const arbiter = p.bricks.find((b) => b.arbiter) as PlannedBrick;
    expect(arbiter.deviceId).toBe('n4d0');
    const result = placeReplacement(c, replacing(p, 'n4d0'), LIMITS);
    expect(result.ok && result.brick).toEqual({ ...arbiter, deviceId: 'n0d0', nodeId: 'n0', zone: 1 });
  });
});
