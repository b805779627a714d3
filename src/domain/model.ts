import type { Durability } from './durability';

/** The entities as the application sees them. Sizes in KiB, except a volume's size in GiB (as on the wire). */
export type NodeState = 'online' | 'offline' | 'failed';
export type DeviceState = 'online' | 'offline' | 'failed';
export type Tags = Record<string, string>;

export interface Cluster {
  id: string;
  file: boolean;
  block: boolean;
}

export interface StorageNode {
  id: string;
  clusterId: string;
  zone: number;
  state: NodeState;
  manageHostnames: string[];
  storageHostnames: string[];
  tags: Tags;
}

export interface Device {
  id: string;
  nodeId: string;
  name: string;
  state: DeviceState;
  totalKib: number;
  freeKib: number;
  usedKib: number;
  extentKib: number;
  pvUuid: string;
  paths: string[];
  tags: Tags;
}

/** A node's or device's place in its own life: pending while being added, deleting while being removed. */
export type Lifecycle = 'pending' | 'ready' | 'deleting';

/** A node as stored: the entity plus where it is in its lifecycle. */
export interface NodeRecord extends StorageNode {
  lifecycle: Lifecycle;
}

/** A device as stored: the entity plus its lifecycle, how many bricks it carries and whether removal wipes it. */
export interface DeviceRecord extends Device {
  lifecycle: Lifecycle;
  brickCount: number;
  destroyData: boolean;
}

/** pending: recorded, being made; online: made; deleting: being destroyed. */
export type LifecycleState = 'pending' | 'online' | 'deleting';

export interface Brick {
  id: string;
  volumeId: string;
  deviceId: string;
  nodeId: string;
  setIndex: number;
  position: number;
  sizeKib: number;
  tpSizeKib: number;
  poolMetadataKib: number;
  /** What the brick holds back on its device: thin pool + its metadata. */
  reservedKib: number;
  arbiter: boolean;
  state: LifecycleState;
  /** The thin pool Heketi recorded when it is not tp_<brick id> (imported bricks); absent: tp_<brick id>. */
  thinPool?: string | null;
}

/** Per device, the KiB its bricks reserve and how many they are; a device without bricks is absent. */
export function reservedByDevice(bricks: Iterable<Pick<Brick, 'deviceId' | 'reservedKib'>>): Map<string, { kib: number; bricks: number }> {
  const perDevice = new Map<string, { kib: number; bricks: number }>();
  for (const b of bricks) {
    const d = perDevice.get(b.deviceId) ?? { kib: 0, bricks: 0 };
    d.kib += b.reservedKib;
    d.bricks += 1;
    perDevice.set(b.deviceId, d);
  }
  return perDevice;
}

export interface SnapshotSettings {
  enable: boolean;
  factor: number;
}

export interface Volume {
  id: string;
  clusterId: string;
  name: string;
  sizeGib: number;
  durability: Durability;
  gid: number;
  snapshot: SnapshotSettings;
  glusterVolumeOptions: string[];
  arbiter: boolean;
  state: LifecycleState;
  /** The mount host list Heketi recorded (imported volumes); absent: computed from the cluster's nodes. */
  mountHosts?: string[] | null;
}

export const BRICK_MOUNT_ROOT = '/var/lib/heketi/mounts';

export function vgName(deviceId: string): string {
  return `vg_${deviceId}`;
}

export function brickLvName(brickId: string): string {
  return `brick_${brickId}`;
}

export function thinPoolName(brickId: string): string {
  return `tp_${brickId}`;
}

export function brickMountDir(deviceId: string, brickId: string): string {
  return `${BRICK_MOUNT_ROOT}/${vgName(deviceId)}/${brickLvName(brickId)}`;
}

/** The directory gluster serves: a subdirectory of the mount, so an unmounted brick is never written to. */
export function brickPath(deviceId: string, brickId: string): string {
  return `${brickMountDir(deviceId, brickId)}/brick`;
}
