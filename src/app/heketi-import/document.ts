/**
 * The document `heketi db export` writes and Heketi's `GET /db/dump` answers (the same shape): one map per
 * entity kind, keyed by id. Field names are Heketi's (its Go structs' JSON names), so they are kept here as
 * they are on the wire.
 */
export interface HeketiHostnames {
  manage: string[];
  storage: string[];
}

export interface HeketiClusterEntry {
  Info: { id: string; nodes: string[]; volumes: string[]; block: boolean; file: boolean; blockvolumes: string[] };
}

export interface HeketiNodeEntry {
  State: string;
  Info: { zone: number; hostnames: HeketiHostnames; cluster: string; id: string; tags?: Record<string, string> };
  Devices: string[];
}

export interface HeketiDeviceEntry {
  State: string;
  Info: {
    name: string;
    storage: { total: number; free: number; used: number };
    id: string;
    tags?: Record<string, string>;
    paths?: string[];
    pv_uuid?: string;
  };
  Bricks: string[];
  NodeId: string;
  ExtentSize: number;
}

export interface HeketiDurability {
  type: string;
  replicate: { replica?: number };
  disperse: { data?: number; redundancy?: number };
}

export interface HeketiMount {
  glusterfs: { hosts: string[]; device: string; options: Record<string, string> };
}

export interface HeketiVolumeEntry {
  Info: {
    size: number;
    name: string;
    durability: HeketiDurability;
    gid?: number;
    snapshot: { enable: boolean; factor: number };
    id: string;
    cluster: string;
    mount: HeketiMount;
    blockinfo: Record<string, unknown>;
  };
  Bricks: string[];
  GlusterVolumeOptions: string[];
  Pending: { Id: string };
}

/** Heketi's brick sub-types: 0 unknown (made before the field existed), 1 normal, 2 arbiter. */
export const BRICK_SUBTYPE_NORMAL = 1;
export const BRICK_SUBTYPE_ARBITER = 2;

export interface HeketiBrickEntry {
  Info: { id: string; path: string; device: string; node: string; volume: string; size: number };
  TpSize: number;
  PoolMetadataSize: number;
  Pending: { Id: string };
  LvmThinPool: string;
  LvmLv: string;
  SubType: number;
}

export interface HeketiAttributeEntry {
  Key: string;
  Value: string;
}

export interface HeketiPendingOperation {
  Id?: string;
  Type?: number;
  Timestamp?: number;
  Actions?: Array<{ Change?: number; Id?: string }>;
}

export interface HeketiDocument {
  clusterentries: Record<string, HeketiClusterEntry>;
  volumeentries: Record<string, HeketiVolumeEntry>;
  brickentries: Record<string, HeketiBrickEntry>;
  nodeentries: Record<string, HeketiNodeEntry>;
  deviceentries: Record<string, HeketiDeviceEntry>;
  blockvolumeentries: Record<string, unknown>;
  dbattributeentries: Record<string, HeketiAttributeEntry>;
  pendingoperations: Record<string, HeketiPendingOperation>;
}

/** The attributes a current Heketi database carries (all "yes"), besides its generation id. */
export const HEKETI_DB_FLAGS = [
  'DB_BRICK_HAS_SUBTYPE_FIELD',
  'DB_CLUSTER_HAS_FILE_BLOCK_FLAG',
  'DB_DEVICE_HAS_ID_META',
  'DB_HAS_PENDING_OPS_BUCKET',
] as const;
export const DB_GENERATION_ID = 'DB_GENERATION_ID';

/** Names of Heketi's pending operation types, for the refusal message (by their number in the file). */
export const PENDING_OPERATION_TYPES: Record<number, string> = {
  1: 'volume create',
  2: 'volume delete',
  3: 'volume expand',
  4: 'block volume create',
  5: 'block volume delete',
  6: 'device remove',
  7: 'volume clone',
};
