import type { Durability } from '../domain/durability';

/**
 * What the application asks of storage nodes. One method per storage action, each idempotent where it can
 * be (a retry after a crash must not fail because the first try half-succeeded): the ssh and kubernetes
 * executors implement it with the same command builders over different transports; the mock keeps an
 * in-memory model of each node.
 *
 * `host` is always a node's manage hostname (where commands run); gluster brick addresses use storage
 * hostnames.
 */
export interface DeviceSpec {
  id: string;
  /** e.g. /dev/sdb; validated against DEVICE_PATH before it reaches an executor. */
  path: string;
  destroyData: boolean;
}

export interface DeviceReport {
  totalKib: number;
  freeKib: number;
  usedKib: number;
  extentKib: number;
  pvUuid: string;
  /** udev symlinks of the device, for DeviceInfo.paths. */
  paths: string[];
  /** Size of LVM's pool metadata spare already in the VG (it is not in freeKib); 0 or absent: none yet. */
  metadataSpareKib?: number;
}

export interface BrickSpec {
  id: string;
  deviceId: string;
  /** Thin LV virtual size. */
  sizeKib: number;
  tpSizeKib: number;
  poolMetadataKib: number;
  /** Group owner of the brick directory (0: none). */
  gid: number;
  arbiter: boolean;
  /** The brick's thin pool when it is not tp_<brick id> (imported from Heketi, which recorded it per brick). */
  thinPool?: string;
}

/** What of a brick is on its node (the import's verify pass). */
export interface BrickCheck {
  lv: boolean;
  thinPool: boolean;
  mounted: boolean;
  fstab: boolean;
}

/** A brick as gluster sees it: storage host and brick directory. */
export interface BrickAddress {
  host: string;
  path: string;
}

export interface GlusterVolumeSpec {
  name: string;
  durability: Durability;
  arbiter: boolean;
  /** In set order: set 0 brick 0..w-1, set 1 ... */
  bricks: BrickAddress[];
  /** Applied in order with `gluster volume set`. */
  options: Array<[string, string]>;
}

export interface GlusterVolumeInfo {
  name: string;
  status: 'Created' | 'Started' | 'Stopped' | string;
  bricks: BrickAddress[];
  options: Record<string, string>;
}

export interface HealInfo {
  /** Per brick address "host:path": entries needing heal (0 when clean); missing when the brick is offline. */
  entries: Record<string, number>;
}

/** An operation at the generation its holder holds it (see the runner's fencing). */
export interface OperationScope {
  id: string;
  generation: number;
}

export interface StorageExecutor {
  readonly kind: 'mock' | 'ssh' | 'kubernetes';
  /** Set on an executor made by forOperation. */
  readonly operationId?: string;

  /**
   * The same executor, with every command run under the node-side lock of this operation (shared) and
   * refused once a newer generation has passed a barrier on that node.
   */
  forOperation(scope: OperationScope): StorageExecutor;
  /**
   * Waits on `host` until no command of an older generation of this operation can still be running there,
   * then fences older generations off. Recovery calls it on every host before touching anything.
   */
  barrier(host: string, scope: OperationScope): Promise<void>;

  /** glusterd answers on this host. */
  glusterdCheck(host: string): Promise<void>;
  /** From a host already in the trusted pool, add another (by storage hostname). */
  peerProbe(host: string, newStorageHost: string): Promise<void>;
  peerDetach(host: string, storageHost: string): Promise<void>;

  /** pvcreate + vgcreate vg_<id>, then read back the real size. Refuses a disk with data unless destroyData. */
  deviceSetup(host: string, device: DeviceSpec): Promise<DeviceReport>;
  /** vgremove + pvremove; tolerates a device already gone. */
  deviceTeardown(host: string, device: DeviceSpec): Promise<void>;
  /** Re-read the real size of an existing device (resync). */
  deviceInfo(host: string, device: DeviceSpec): Promise<DeviceReport>;

  /** Thin pool + thin LV + XFS + fstab + mount + brick dir (+ gid). Undoes its own partial work on failure. */
  brickCreate(host: string, brick: BrickSpec): Promise<void>;
  /** umount, fstab line, LV, pool when empty, directory. Tolerates each piece being gone already. */
  brickDestroy(host: string, brick: BrickSpec): Promise<{ poolRemoved: boolean }>;
  /** Looks, changing nothing: the brick's thin LV, its thin pool, its mount and its fstab line. */
  brickCheck(host: string, brick: BrickSpec): Promise<BrickCheck>;

  /** gluster volume create (first set, then add-brick for the rest), options, start. */
  volumeCreate(host: string, volume: GlusterVolumeSpec): Promise<void>;
  /** add-brick of the new sets, then rebalance start. */
  volumeExpand(host: string, volume: GlusterVolumeSpec, newBricks: BrickAddress[]): Promise<void>;
  /** stop force (errors ignored) + delete; a volume that does not exist counts as deleted. */
  volumeDestroy(host: string, name: string): Promise<void>;
  /** null when gluster does not know the volume. */
  volumeInfo(host: string, name: string): Promise<GlusterVolumeInfo | null>;
  replaceBrick(host: string, name: string, from: BrickAddress, to: BrickAddress): Promise<void>;
  healInfo(host: string, name: string): Promise<HealInfo>;
}

/** Raised by executors: which step failed on which host, with the node's own words. */
export class ExecutorError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    message: string,
    /** Whether a retry of the same command could succeed (connection dropped before it ran, timeout). */
    readonly transient = false,
    /** The node refused the command: a newer holder of its operation fenced this one off. */
    readonly fenced = false,
  ) {
    super(message);
    this.name = 'ExecutorError';
  }
}

/** Every storage step of the StorageExecutor interface (what wrappers that log or time calls look at). */
export const EXECUTOR_STEPS: ReadonlySet<string> = new Set<string>([
  'glusterdCheck',
  'peerProbe',
  'peerDetach',
  'deviceSetup',
  'deviceTeardown',
  'deviceInfo',
  'brickCreate',
  'brickDestroy',
  'volumeCreate',
  'volumeExpand',
  'volumeDestroy',
  'volumeInfo',
  'replaceBrick',
  'healInfo',
] satisfies Array<keyof StorageExecutor>);
