import { describeDurability, setWidth } from '../durability';
import { formatKib } from '../units';
import { buildClusterView, Workspace } from './eligibility';
import { summarizeZone, zoneReports } from './explain';
import { buildFailure, validateDurability } from './place-volume';
import { describeZoneRule, zoneCapFor } from './rules';
import { placeOneBrick, type SetSpec } from './set-placer';
import type { ClusterSnapshot, PlacementLimits, ReplacementRequest, ReplacementResult } from './types';

/**
 * A new home for one brick (device removal): same size and set position, on a device that is not excluded
 * (nor the brick's own), on a node none of its siblings use, and within the zone rule counting the siblings.
 * Among allowed zones the one with the fewest siblings wins, then the brick's old zone, then the most free space.
 */
export function placeReplacement(
  cluster: ClusterSnapshot,
  req: ReplacementRequest,
  _limits: PlacementLimits,
): ReplacementResult {
  validateDurability(req.durability, false);
  const exclude = new Set(req.excludeDevices);
  exclude.add(req.brick.deviceId);
  const view = buildClusterView(cluster, { tagRules: req.tagRules, arbiter: req.brick.arbiter, excludeDevices: exclude });
  const nodeIndexById = new Map(cluster.nodes.map((n, i) => [n.id, i]));
  const zoneIndexOf = (zone: number): number => view.zones.indexOf(zone);
  const siblings = req.siblings.map((s, i) => ({
    // A sibling on a node missing from the snapshot still must not share a node: give it an index nothing has.
    nodeIndex: nodeIndexById.get(s.nodeId) ?? -1 - i,
    zoneIndex: zoneIndexOf(s.zone),
  }));
  const spec: SetSpec = {
    width: setWidth(req.durability),
    dataReservedKib: req.brick.reservedKib,
    mode: req.zoneChecking,
    zoneCap: zoneCapFor(req.durability, req.zoneChecking),
    siblings: siblings.filter((s) => s.zoneIndex >= 0),
  };
  const ws = new Workspace(view);
  const slot = placeOneBrick(view, ws, spec, req.brick.arbiter, zoneIndexOf(req.brick.zone));
  if (slot !== null) {
    return { ok: true, brick: { ...req.brick, deviceId: slot.deviceId, nodeId: slot.nodeId, zone: slot.zone } };
  }

  const zones = zoneReports(
    view,
    req.brick.arbiter ? { dataKib: Number.POSITIVE_INFINITY, arbiterKib: req.brick.reservedKib } : { dataKib: req.brick.reservedKib },
  );
  const siblingNodes = new Set(siblings.map((s) => s.nodeIndex));
  const brick = `the brick at position ${req.brick.position} of set ${req.brick.setIndex} (${formatKib(req.brick.sizeKib)}${req.brick.arbiter ? ', arbiter' : ''})`;
  const zoneText = zones.map(summarizeZone).join('; ');
  let code: 'zone_rule' | 'no_space' = 'no_space';
  let why = `no device apart from the nodes of the other bricks of its set has room`;
  if (req.zoneChecking === 'strict' && !req.brick.arbiter) {
    const withRoom = view.zones.filter((_, zi) =>
      (view.slotsByZone[zi] ?? []).some((s) => s.canData && s.freeKib > req.brick.reservedKib && !siblingNodes.has(s.nodeIndex)),
    );
    if (withRoom.length > 0) {
      code = 'zone_rule';
      const siblingZones = [...new Set(req.siblings.map((s) => s.zone))].sort((a, b) => a - b);
      why = `${describeZoneRule(req.durability)}: the other bricks of its set are in zone${siblingZones.length === 1 ? '' : 's'} ${siblingZones.join(', ')}, and only zone${withRoom.length === 1 ? '' : 's'} ${withRoom.join(', ')} ha${withRoom.length === 1 ? 's' : 've'} room`;
    }
  }
  const failure = buildFailure([
    {
      clusterId: cluster.id,
      code,
      reason: `cluster ${cluster.id} cannot take ${brick} of a ${describeDurability(req.durability)} volume: ${why}; ${zoneText}`,
      zones,
    },
  ]);
  return { ok: false, failure };
}
