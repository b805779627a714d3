import type { Durability } from '../durability';
import type { DeviceState, NodeState, Tags } from '../model';

/**
 * The placement module is pure: it is handed a snapshot of the topology and a request, and answers with
 * the bricks it would make. The database layer reserves exactly what it chose (re-checking free space under
 * row locks) and asks again with a fresh snapshot if a concurrent request got there first.
 */
export interface DeviceSnapshot {
  id: string;
  state: DeviceState;
  totalKib: number;
  freeKib: number;
  tags: Tags;
  brickCount: number;
}

export interface NodeSnapshot {
  id: string;
  zone: number;
  state: NodeState;
  tags: Tags;
  devices: DeviceSnapshot[];
}

export interface ClusterSnapshot {
  id: string;
  file: boolean;
  block: boolean;
  volumeCount: number;
  nodes: NodeSnapshot[];
}

export type ZoneChecking = 'strict' | 'best-effort' | 'none';

/** `user.heketi.device-tag-match key=value` or `key!=value`, matched against node tags overlaid by device tags. */
export interface TagRule {
  key: string;
  value: string;
  negate: boolean;
}

export interface PlacementLimits {
  brickMinSizeGib: number;
  brickMaxSizeGib: number;
  maxBricksPerVolume: number;
  maxVolumesPerCluster: number;
  averageFileSizeKb: number;
  extentKib: number;
}

export interface VolumePlacementRequest {
  sizeGib: number;
  durability: Durability;
  /** 1 when snapshots are off. */
  snapshotFactor: number;
  zoneChecking: ZoneChecking;
  tagRules: TagRule[];
  arbiter: boolean;
  /** Cluster ids in the order to try; empty means every cluster. */
  clusters: string[];
  /** Clusters that already hold a volume of this name (skipped). */
  clustersWithName?: string[];
  /** Expansion: the new sets are numbered from here, and the volume already has this many bricks. */
  firstSetIndex?: number;
  existingBricks?: number;
  /** A block-hosting volume: needs a cluster that allows block volumes instead of file volumes. */
  blockHosting?: boolean;
}

export interface PlannedBrick {
  deviceId: string;
  nodeId: string;
  zone: number;
  setIndex: number;
  /** Position inside its set (gluster brick order). */
  position: number;
  sizeKib: number;
  tpSizeKib: number;
  poolMetadataKib: number;
  reservedKib: number;
  arbiter: boolean;
}

export interface VolumePlacement {
  clusterId: string;
  brickSizeKib: number;
  setCount: number;
  bricks: PlannedBrick[];
  /** Arbiter volumes: the size of the small brick at position 2 of each set. */
  arbiterBrickSizeKib?: number;
}

/** Why a device or cluster was passed over, for the "No space" explanation and the dry run. */
export interface ZoneReport {
  zone: number;
  freeKib: number;
  largestFreeDeviceKib: number;
  usableDevices: number;
  excluded: Array<{ deviceId: string; nodeId: string; reason: string }>;
}

export interface PlacementFailure {
  /** Starts with "No space" when space is what is missing (Heketi clients look for it). */
  message: string;
  clusters: Array<{ clusterId: string; reason: string; zones: ZoneReport[]; code?: ClusterFailureCode }>;
  /** True when space (or the zone rule, brick size and count limits while looking for space) is what failed. */
  noSpace?: boolean;
}

export type PlacementResult = { ok: true; placement: VolumePlacement } | { ok: false; failure: PlacementFailure };

/** Moving one brick (device removal): where its replacement goes. */
export interface ReplacementRequest {
  durability: Durability;
  zoneChecking: ZoneChecking;
  tagRules: TagRule[];
  /** The brick being replaced. */
  brick: PlannedBrick;
  /** The other bricks of its set, which the replacement must stay apart from. */
  siblings: Array<{ deviceId: string; nodeId: string; zone: number }>;
  /** Devices that must not receive it (the one being emptied, ...). */
  excludeDevices: string[];
}

export type ReplacementResult =
  | { ok: true; brick: PlannedBrick }
  | { ok: false; failure: PlacementFailure };

export interface ClusterCapacity {
  clusterId: string;
  zones: Array<{ zone: number; freeKib: number; totalKib: number; largestFreeDeviceKib: number; devices: number }>;
  /** Largest volume (GiB) that could be created now for each durability. */
  largestVolumeGib: { replicate2: number; replicate3: number; disperse4plus2: number };
}

/*
 * Additions by the placement module (additive; everything above is the shared contract).
 */

/** Why one cluster could not take a volume: capacity codes first, then the clusters that were not tried. */
export type ClusterFailureCode =
  | 'no_space'
  | 'zone_rule'
  | 'min_brick_size'
  | 'max_bricks'
  | 'arbiter_size'
  | 'max_volumes'
  | 'file_disabled'
  | 'block_disabled'
  | 'name_exists'
  | 'not_found';
