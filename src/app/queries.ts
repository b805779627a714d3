import type { Brick, Cluster, Device, DeviceRecord, NodeRecord, StorageNode, Volume } from '../domain/model';
import { clusterCapacity, type ClusterCapacity } from '../domain/placement';
import { listBricksOfDevices, listBricksOfVolume } from '../db/repositories/bricks';
import { findCluster, listClusterIds } from '../db/repositories/clusters';
import { findDevice, listDevices } from '../db/repositories/devices';
import { findNode, listNodes } from '../db/repositories/nodes';
import { countVisibleVolumesByCluster, findVolume, listVolumeIds } from '../db/repositories/volumes';
import type { AppContext } from './context';
import { loadClusterSnapshots } from './topology';

/**
 * Read models for the API. Entities still being made (pending) are not shown: a client learns about them
 * through /queue, and sees them once they are real.
 */
export interface ClusterView {
  cluster: Cluster;
  nodeIds: string[];
  volumeIds: string[];
}

export interface DeviceView {
  device: Device;
  bricks: Brick[];
}

export interface NodeView {
  node: StorageNode;
  devices: DeviceView[];
}

export interface VolumeView {
  volume: Volume;
  bricks: Brick[];
  /** Storage hostnames of the cluster's nodes, first the ones holding this volume's bricks. */
  hosts: string[];
}

export async function clusterView({ db }: AppContext, id: string): Promise<ClusterView | undefined> {
  const cluster = await findCluster(db, id);
  if (!cluster) return undefined;
  const [nodes, volumeIds] = await Promise.all([
    listNodes(db, { clusterId: id }),
    listVolumeIds(db, { clusterId: id, visibleOnly: true }),
  ]);
  return { cluster, nodeIds: nodes.filter((n) => n.lifecycle !== 'pending').map((n) => n.id), volumeIds };
}

export async function deviceView({ db }: AppContext, id: string): Promise<DeviceView | undefined> {
  const device = await findDevice(db, id);
  if (!device || device.lifecycle === 'pending') return undefined;
  return { device, bricks: await listBricksOfDevices(db, [id]) };
}

export async function nodeView({ db }: AppContext, id: string): Promise<NodeView | undefined> {
  const node = await findNode(db, id);
  if (!node || node.lifecycle === 'pending') return undefined;
  const devices = (await listDevices(db, { nodeIds: [id] })).filter((d) => d.lifecycle !== 'pending');
  const bricks = await listBricksOfDevices(
    db,
    devices.map((d) => d.id),
  );
  return {
    node,
    devices: devices.map((device) => ({ device, bricks: bricks.filter((b) => b.deviceId === device.id) })),
  };
}

export async function volumeView({ db }: AppContext, id: string): Promise<VolumeView | undefined> {
  const volume = await findVolume(db, id);
  if (!volume || volume.state === 'pending') return undefined;
  const [bricks, nodes] = await Promise.all([listBricksOfVolume(db, id), listNodes(db, { clusterId: volume.clusterId })]);
  const usable = nodes.filter((n) => n.lifecycle !== 'pending');
  const brickNodeIds = new Set(bricks.map((b) => b.nodeId));
  const ordered = [...usable.filter((n) => brickNodeIds.has(n.id)), ...usable.filter((n) => !brickNodeIds.has(n.id))];
  return { volume, bricks, hosts: [...new Set(ordered.map((n) => n.storageHostnames[0]!))] };
}

export async function clusterIds({ db }: AppContext): Promise<string[]> {
  return listClusterIds(db);
}

export async function findClusterById({ db }: AppContext, id: string): Promise<Cluster | undefined> {
  return findCluster(db, id);
}

/** Volumes a client may see (pending ones are reported through /queue only). */
export async function visibleVolumeIds({ db }: AppContext): Promise<string[]> {
  return listVolumeIds(db, { visibleOnly: true });
}

/** Free space per zone and the largest volume creatable now; undefined when the cluster does not exist. */
export async function clusterCapacityView(app: AppContext, id: string): Promise<ClusterCapacity | undefined> {
  const [snapshot] = await loadClusterSnapshots(app.db, [id]);
  return snapshot ? clusterCapacity(snapshot, app.limits, app.zoneChecking) : undefined;
}

/** What the metrics endpoint reports: everything that is no longer pending. */
export interface Inventory {
  clusterIds: string[];
  nodes: NodeRecord[];
  devices: DeviceRecord[];
  volumesByCluster: Map<string, number>;
}

export async function inventory({ db }: AppContext): Promise<Inventory> {
  const [ids, nodes, devices, volumesByCluster] = await Promise.all([
    listClusterIds(db),
    listNodes(db),
    listDevices(db),
    countVisibleVolumesByCluster(db),
  ]);
  return {
    clusterIds: ids,
    nodes: nodes.filter((n) => n.lifecycle !== 'pending'),
    devices: devices.filter((d) => d.lifecycle !== 'pending'),
    volumesByCluster,
  };
}
