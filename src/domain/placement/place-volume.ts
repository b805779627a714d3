import { describeDurability, isValidDisperse, MAX_REPLICA, setWidth, type Durability } from '../durability';
import { validationError } from '../errors';
import { thinPoolSizes, type ThinPoolSizes } from '../thin-pool';
import { formatKib } from '../units';
import { largestNowText } from './capacity';
import { buildClusterView, Workspace, type ClusterView } from './eligibility';
import { nodesWithRoomPerZone, summarizeZone, zoneReports } from './explain';
import { describeZoneRule, strictRuleSatisfiable, zoneCapFor } from './rules';
import { placeSet, type SetSpec } from './set-placer';
import { zoneShortfallText } from './zone-shortfall';
import { arbiterBrickKib, sizingSteps } from './sizing';
import type {
  ClusterFailureCode,
  ClusterSnapshot,
  PlacementFailure,
  PlacementLimits,
  PlacementResult,
  PlannedBrick,
  VolumePlacement,
  VolumePlacementRequest,
  ZoneChecking,
  ZoneReport,
} from './types';

/** What the sizing loop needs from a request. */
export interface SizingRequest {
  sizeGib: number;
  durability: Durability;
  snapshotFactor: number;
  arbiter: boolean;
  firstSetIndex?: number;
  existingBricks?: number;
}

type Layout = { sets: number; brickKib: number };
type StopReason = ClusterFailureCode & ('min_brick_size' | 'max_bricks' | 'arbiter_size');

export type ViewOutcome =
  | { ok: true; placement: Omit<VolumePlacement, 'clusterId'> }
  | { ok: false; tried: Layout[]; stop: Layout & { reason: StopReason } };

interface BrickSizes extends ThinPoolSizes {
  sizeKib: number;
}

const CAPACITY_CODES: ReadonlySet<ClusterFailureCode> = new Set<ClusterFailureCode>([
  'no_space',
  'zone_rule',
  'min_brick_size',
  'max_bricks',
  'arbiter_size',
  'max_volumes',
]);

export function validateDurability(durability: Durability, arbiter: boolean): void {
  if (durability.type === 'replicate' && (!Number.isInteger(durability.replica) || durability.replica < 1 || durability.replica > MAX_REPLICA)) {
    throw validationError('durability', `replica must be 1 to ${MAX_REPLICA}`);
  }
  if (durability.type === 'disperse' && !isValidDisperse(durability.data, durability.redundancy)) {
    throw validationError('durability', `disperse ${durability.data}+${durability.redundancy} is not a supported combination`);
  }
  if (arbiter && !(durability.type === 'replicate' && durability.replica === 3)) {
    throw validationError('arbiter', 'arbiter volumes must be replica 3');
  }
}

function validateRequest(req: VolumePlacementRequest): void {
  if (!Number.isInteger(req.sizeGib) || req.sizeGib <= 0) throw validationError('size', 'must be a positive whole number of GiB');
  if (!Number.isFinite(req.snapshotFactor) || req.snapshotFactor < 1) throw validationError('snapshot.factor', 'must be at least 1');
  validateDurability(req.durability, req.arbiter);
}

function brickSizes(sizeKib: number, snapshotFactor: number, limits: PlacementLimits): BrickSizes {
  return { sizeKib, ...thinPoolSizes(sizeKib, snapshotFactor, limits.extentKib) };
}

/**
 * The sizing loop on one cluster: each layout it proposes is placed set by set on a fresh copy of the free
 * space; the first layout whose every set fits wins.
 */
export function placeInView(view: ClusterView, req: SizingRequest, limits: PlacementLimits, mode: ZoneChecking): ViewOutcome {
  const width = setWidth(req.durability);
  const zoneCap = zoneCapFor(req.durability, mode);
  const firstSetIndex = req.firstSetIndex ?? 0;
  const ws = new Workspace(view);
  const tried: Layout[] = [];
  for (const step of sizingSteps(req.sizeGib, req.durability, limits, req.existingBricks ?? 0)) {
    if ('stop' in step) return { ok: false, tried, stop: { sets: step.sets, brickKib: step.brickKib, reason: step.stop } };
    const data = brickSizes(step.brickKib, req.snapshotFactor, limits);
    let arbiter: BrickSizes | undefined;
    if (req.arbiter) {
      const kib = arbiterBrickKib(step.brickKib, limits.averageFileSizeKb);
      if (kib === null) return { ok: false, tried, stop: { ...step, reason: 'arbiter_size' } };
      arbiter = brickSizes(kib, req.snapshotFactor, limits);
    }
    tried.push(step);
    if (tried.length > 1) ws.reset();
    const spec: SetSpec = { width, dataReservedKib: data.reservedKib, arbiterReservedKib: arbiter?.reservedKib, mode, zoneCap };
    const bricks: PlannedBrick[] = [];
    let placedSets = 0;
    for (; placedSets < step.sets; placedSets++) {
      const placed = placeSet(view, ws, spec);
      if (placed === null) break;
      for (const p of placed) {
        const sizes = p.arbiter ? (arbiter as BrickSizes) : data;
        bricks.push({
          deviceId: p.slot.deviceId,
          nodeId: p.slot.nodeId,
          zone: p.slot.zone,
          setIndex: firstSetIndex + placedSets,
          position: p.position,
          sizeKib: sizes.sizeKib,
          tpSizeKib: sizes.tpSizeKib,
          poolMetadataKib: sizes.poolMetadataKib,
          reservedKib: sizes.reservedKib,
          arbiter: p.arbiter,
        });
      }
    }
    if (placedSets === step.sets) {
      const placement: Omit<VolumePlacement, 'clusterId'> = { brickSizeKib: step.brickKib, setCount: step.sets, bricks };
      if (arbiter) placement.arbiterBrickSizeKib = arbiter.sizeKib;
      return { ok: true, placement };
    }
  }
  throw new Error('sizing loop ended without a stop reason');
}

function stopText(stop: Layout & { reason: StopReason }, req: SizingRequest, limits: PlacementLimits): string {
  const width = setWidth(req.durability);
  switch (stop.reason) {
    case 'min_brick_size':
      return `bricks of ${formatKib(stop.brickKib)} would be below brick_min_size_gb (${limits.brickMinSizeGib} GiB)`;
    case 'max_bricks': {
      const existing = req.existingBricks ? ` with the ${req.existingBricks} it has` : '';
      return `${stop.sets} sets would make ${stop.sets * width} bricks${existing}, above max_bricks_per_volume (${limits.maxBricksPerVolume})`;
    }
    case 'arbiter_size':
      return `a data brick of ${formatKib(stop.brickKib)} is smaller than the average file size (${limits.averageFileSizeKb} KiB) an arbiter brick is sized by`;
  }
}

/** Zone numbers listed as "1, 2" for messages. */
function zoneList(zones: number[]): string {
  return zones.join(', ');
}

/**
 * Why a cluster that was tried could not take the volume, judged at the smallest layout tried: the strict zone
 * rule when too few zones (or nodes in them) have room, otherwise plain space, with the state of every zone.
 */
export function explainViewFailure(
  view: ClusterView,
  req: SizingRequest,
  limits: PlacementLimits,
  mode: ZoneChecking,
  outcome: Extract<ViewOutcome, { ok: false }>,
): { code: ClusterFailureCode; reason: string; zones: ZoneReport[] } {
  const last = outcome.tried[outcome.tried.length - 1];
  const probe = last ?? outcome.stop;
  const data = thinPoolSizes(probe.brickKib, req.snapshotFactor, limits.extentKib);
  const arbiterKib = req.arbiter ? arbiterBrickKib(probe.brickKib, limits.averageFileSizeKb) : null;
  const arbiterReserved = arbiterKib === null ? undefined : thinPoolSizes(arbiterKib, req.snapshotFactor, limits.extentKib).reservedKib;
  const zones = zoneReports(view, { dataKib: data.reservedKib, arbiterKib: arbiterReserved });
  const zoneText = zones.length > 0 ? zones.map(summarizeZone).join('; ') : 'the cluster has no nodes';
  const what = `${req.sizeGib} GiB as ${describeDurability(req.durability)}${req.arbiter ? ' with arbiter' : ''}`;

  if (last === undefined) {
    return {
      code: outcome.stop.reason,
      reason: `cluster ${view.clusterId} cannot hold ${what}: ${stopText(outcome.stop, req, limits)}; ${zoneText}`,
      zones,
    };
  }

  if (mode === 'strict') {
    const nodes = nodesWithRoomPerZone(view, data.reservedKib);
    const dataZones = view.zones.filter((_, zi) => (nodes[zi] as number) > 0);
    let ruleMet = strictRuleSatisfiable(req.durability, nodes);
    let usable = dataZones;
    if (req.arbiter && arbiterReserved !== undefined) {
      const arbiterZones = view.zones.filter((_, zi) =>
        (view.slotsByZone[zi] ?? []).some((s) => s.canArbiter && s.freeKib > arbiterReserved),
      );
      usable = [...new Set([...dataZones, ...arbiterZones])].sort((a, b) => a - b);
      ruleMet = dataZones.length >= 2 && usable.length >= 3;
    }
    // With no zone usable at all, space is what is missing, not zones.
    if (!ruleMet && usable.length > 0) {
      const relaxed = placeInView(view, req, limits, 'best-effort').ok
        ? '; zone checking best-effort would place it, with less protection'
        : '';
      // What stops it first (nodes per zone against what the durability needs), then what would fit instead.
      let why: string;
      if (req.arbiter) {
        const has = `zone${usable.length === 1 ? '' : 's'} ${zoneList(usable)} usable`;
        why = `${describeZoneRule(req.durability)}, cluster ${view.clusterId} has ${has} for a ${formatKib(probe.brickKib)} brick`;
      } else {
        why = `cluster ${view.clusterId} cannot hold ${what}: ${zoneShortfallText(req.durability, view.zones, nodes, probe.brickKib)}`;
      }
      const largest = req.existingBricks ? '' : `; ${largestNowText(view, req.durability, limits, mode)}`;
      return { code: 'zone_rule', reason: `${why}${largest}${relaxed}; ${zoneText}`, zones };
    }
  }

  const first = outcome.tried[0] as Layout;
  const range = first.sets === last.sets ? `${last.sets}` : `${first.sets} to ${last.sets}`;
  const tried = `tried ${range} set${last.sets === 1 ? '' : 's'}, smallest brick ${formatKib(last.brickKib)}`;
  const largest = req.existingBricks ? '' : `; ${largestNowText(view, req.durability, limits, mode)}`;
  return {
    code: 'no_space',
    reason: `cluster ${view.clusterId} has no room for ${what} (${tried}; ${stopText(outcome.stop, req, limits)})${largest}; ${zoneText}`,
    zones,
  };
}

export function buildFailure(clusters: PlacementFailure['clusters']): PlacementFailure {
  if (clusters.length === 0) {
    return { message: 'No space: there is no cluster to place the volume in', clusters, noSpace: true };
  }
  const noSpace = clusters.some((c) => c.code !== undefined && CAPACITY_CODES.has(c.code));
  const body = clusters.map((c) => c.reason).join(' | ');
  const prefix = noSpace
    ? clusters.length === 1
      ? 'No space: '
      : `No space on any of ${clusters.length} clusters: `
    : 'No cluster can take the volume: ';
  return { message: prefix + body, clusters, noSpace };
}

function skipReason(
  cluster: ClusterSnapshot,
  req: VolumePlacementRequest,
  limits: PlacementLimits,
  expansion: boolean,
): { code: ClusterFailureCode; reason: string } | null {
  // An expansion grows a volume where it is: the cluster's flags, names and volume count were met when it was made.
  if (expansion) return null;
  if (req.blockHosting ? !cluster.block : !cluster.file) {
    const kind = req.blockHosting ? 'block' : 'file';
    return { code: req.blockHosting ? 'block_disabled' : 'file_disabled', reason: `cluster ${cluster.id} does not allow ${kind} volumes` };
  }
  if (req.clustersWithName?.includes(cluster.id)) {
    return { code: 'name_exists', reason: `cluster ${cluster.id} already has a volume with this name` };
  }
  if (cluster.volumeCount >= limits.maxVolumesPerCluster) {
    return {
      code: 'max_volumes',
      reason: `cluster ${cluster.id} holds ${cluster.volumeCount} volumes, the most max_volumes_per_cluster allows (${limits.maxVolumesPerCluster})`,
    };
  }
  return null;
}

/**
 * Where a new volume (or the new sets of an expansion) goes. Clusters are tried in the request's order (all
 * clusters by id when it names none); the first that fits wins. Pure: the caller reserves what it returns.
 */
export function placeVolume(
  clusters: ClusterSnapshot[],
  req: VolumePlacementRequest,
  limits: PlacementLimits,
): PlacementResult {
  validateRequest(req);
  const byId = new Map(clusters.map((c) => [c.id, c]));
  const order = req.clusters.length > 0 ? [...new Set(req.clusters)] : [...byId.keys()].sort();
  const expansion = (req.existingBricks ?? 0) > 0 || (req.firstSetIndex ?? 0) > 0;
  const failures: PlacementFailure['clusters'] = [];
  for (const id of order) {
    const cluster = byId.get(id);
    if (cluster === undefined) {
      failures.push({ clusterId: id, code: 'not_found', reason: `cluster ${id} does not exist`, zones: [] });
      continue;
    }
    const skip = skipReason(cluster, req, limits, expansion);
    if (skip !== null) {
      failures.push({ clusterId: id, ...skip, zones: [] });
      continue;
    }
    const view = buildClusterView(cluster, { tagRules: req.tagRules, arbiter: req.arbiter });
    const outcome = placeInView(view, req, limits, req.zoneChecking);
    if (outcome.ok) return { ok: true, placement: { clusterId: cluster.id, ...outcome.placement } };
    failures.push({ clusterId: id, ...explainViewFailure(view, req, limits, req.zoneChecking, outcome) });
  }
  return { ok: false, failure: buildFailure(failures) };
}
