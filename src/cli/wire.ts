/** The Heketi JSON the CLI reads (field names are the wire contract, see heketi-api.md). */
export interface BrickInfo {
  id: string;
  path: string;
  device: string;
  node: string;
  volume: string;
  /** KiB */
  size: number;
}

export interface DeviceInfo {
  id: string;
  name: string;
  state: string;
  storage: { total: number; free: number; used: number };
  bricks: BrickInfo[];
  tags?: Record<string, string>;
  paths?: string[];
  pv_uuid?: string;
}

export interface NodeInfo {
  id: string;
  cluster: string;
  zone: number;
  state: string;
  hostnames: { manage: string[]; storage: string[] };
  devices: DeviceInfo[];
  tags?: Record<string, string>;
}

export interface ClusterInfo {
  id: string;
  nodes: string[];
  volumes: string[];
  block: boolean;
  file: boolean;
  blockvolumes?: string[];
}

export interface Durability {
  type?: string;
  replicate?: { replica?: number };
  disperse?: { data?: number; redundancy?: number };
}

export interface VolumeInfo {
  id: string;
  name: string;
  size: number;
  cluster: string;
  durability: Durability;
  gid?: number;
  glustervolumeoptions?: string[];
  snapshot?: { enable?: boolean; factor?: number };
  mount: { glusterfs: { hosts?: string[]; device: string; options?: Record<string, string> } };
  block?: boolean;
  blockinfo?: { freesize?: number; reservedsize?: number; restriction?: string; blockvolume?: string[] };
  bricks: BrickInfo[];
}

/** What heketi-cli's `topology info --json` prints: clusters with their nodes and volumes inlined. */
export interface TopologyCluster {
  id: string;
  file: boolean;
  block: boolean;
  nodes: NodeInfo[];
  volumes: VolumeInfo[];
}

export interface TopologyInfo {
  clusters: TopologyCluster[];
}
