import { brickPath, type Brick, type Tags } from '../domain/model';
import type { Durability } from '../domain/durability';
import type { ClusterCapacity, PlannedBrick, VolumePlacement } from '../domain/placement/types';
import type { ClusterView, DeviceView, NodeView, VolumeView } from '../app/queries';

/** Pure functions from read models to Heketi's JSON (field names are the wire contract). */
export function presentBrick(b: Brick) {
  return {
    id: b.id,
    path: brickPath(b.deviceId, b.id),
    device: b.deviceId,
    node: b.nodeId,
    volume: b.volumeId,
    size: b.sizeKib,
  };
}

const withTags = <T extends object>(body: T, tags: Tags): T & { tags?: Tags } =>
  Object.keys(tags).length > 0 ? { ...body, tags } : body;

export function presentCluster(v: ClusterView) {
  return {
    id: v.cluster.id,
    nodes: v.nodeIds,
    volumes: v.volumeIds,
    block: v.cluster.block,
    file: v.cluster.file,
    blockvolumes: [] as string[],
  };
}

export function presentDevice(v: DeviceView) {
  const d = v.device;
  return withTags(
    {
      name: d.name,
      storage: { total: d.totalKib, free: d.freeKib, used: d.usedKib },
      id: d.id,
      state: d.state,
      bricks: v.bricks.map(presentBrick),
      paths: d.paths,
      pv_uuid: d.pvUuid,
    },
    d.tags,
  );
}

export function presentNode(v: NodeView) {
  const n = v.node;
  return withTags(
    {
      zone: n.zone,
      hostnames: { manage: n.manageHostnames, storage: n.storageHostnames },
      cluster: n.clusterId,
      id: n.id,
      state: n.state,
      devices: v.devices.map(presentDevice),
    },
    n.tags,
  );
}

export function presentDurability(d: Durability) {
  return {
    type: d.type,
    replicate: d.type === 'replicate' ? { replica: d.replica } : {},
    disperse: d.type === 'disperse' ? { data: d.data, redundancy: d.redundancy } : {},
  };
}

export function presentVolume(v: VolumeView) {
  const vol = v.volume;
  const [first, ...rest] = v.hosts;
  return {
    size: vol.sizeGib,
    name: vol.name,
    durability: presentDurability(vol.durability),
    gid: vol.gid,
    glustervolumeoptions: vol.glusterVolumeOptions,
    snapshot: { enable: vol.snapshot.enable, factor: vol.snapshot.factor },
    id: vol.id,
    cluster: vol.clusterId,
    mount: {
      glusterfs: {
        hosts: v.hosts,
        device: `${first ?? ''}:${vol.name}`,
        options: { 'backup-volfile-servers': rest.join(',') },
      },
    },
    block: false,
    blockinfo: {},
    bricks: v.bricks.map(presentBrick),
  };
}

/** Brickyard's dry run answer: the bricks a create would make, set by set. */
export function presentPlacement(p: VolumePlacement) {
  const sets: Array<ReturnType<typeof plannedBrick>[]> = [];
  for (const b of p.bricks) (sets[b.setIndex] ??= []).push(plannedBrick(b));
  return { cluster: p.clusterId, brick_size: p.brickSizeKib, set_count: p.setCount, sets };
}

function plannedBrick(b: PlannedBrick) {
  return {
    device: b.deviceId,
    node: b.nodeId,
    zone: b.zone,
    size: b.sizeKib,
    thin_pool_size: b.tpSizeKib,
    pool_metadata_size: b.poolMetadataKib,
    arbiter: b.arbiter,
  };
}

export function presentCapacity(c: ClusterCapacity) {
  return {
    cluster: c.clusterId,
    zones: c.zones.map((z) => ({
      zone: z.zone,
      devices: z.devices,
      total: z.totalKib,
      free: z.freeKib,
      largest_free_device: z.largestFreeDeviceKib,
    })),
    largest_volume_gib: {
      'replicate:2': c.largestVolumeGib.replicate2,
      'replicate:3': c.largestVolumeGib.replicate3,
      'disperse:4:2': c.largestVolumeGib.disperse4plus2,
    },
  };
}
