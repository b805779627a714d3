import type { AppContext } from '../context';
import type { Knex } from 'knex';
import { brickPath, thinPoolName, type Brick, type Volume } from '../../domain/model';
import type { Durability } from '../../domain/durability';
import { DEFAULT_DISPERSE, DEFAULT_REPLICA } from '../../domain/durability';
import { listAllBricks } from '../../db/repositories/bricks';
import { listClusters } from '../../db/repositories/clusters';
import { listDevices } from '../../db/repositories/devices';
import { readHeketiAttributes } from '../../db/repositories/import';
import { listNodes } from '../../db/repositories/nodes';
import { listOperations } from '../../db/repositories/operations';
import type { OperationRecord } from '../../domain/operation';
import { listVolumes } from '../../db/repositories/volumes';
import { mountHosts } from '../queries';
import { heketiTotal } from './space';
import {
  BRICK_SUBTYPE_ARBITER,
  BRICK_SUBTYPE_NORMAL,
  HEKETI_DB_FLAGS,
  type HeketiBrickEntry,
  type HeketiClusterEntry,
  type HeketiDeviceEntry,
  type HeketiDocument,
  type HeketiDurability,
  type HeketiNodeEntry,
  type HeketiPendingOperation,
  type HeketiVolumeEntry,
} from './document';

/** Heketi's pending operation type numbers for Brickyard's operation kinds (0: no Heketi equivalent). */
const HEKETI_OPERATION_TYPE: Record<string, number> = {
  volume_create: 1,
  volume_delete: 2,
  volume_expand: 3,
  device_delete: 6,
  evict: 6,
};

const sorted = (ids: string[]) => [...ids].sort();
const withTags = <T extends object>(info: T, tags: Record<string, string>) => (Object.keys(tags).length > 0 ? { ...info, tags } : info);

/** Heketi fills both durability sub-objects, the unused one with its defaults. */
function heketiDurability(d: Durability): HeketiDurability {
  return {
    type: d.type,
    replicate: { replica: d.type === 'replicate' ? d.replica : DEFAULT_REPLICA },
    disperse: d.type === 'disperse' ? { data: d.data, redundancy: d.redundancy } : { ...DEFAULT_DISPERSE },
  };
}

function volumeEntry(v: Volume, bricks: Brick[], hosts: string[], pendingId: string): HeketiVolumeEntry {
  const [first, ...rest] = hosts;
  return {
    Info: {
      size: v.sizeGib,
      name: v.name,
      durability: heketiDurability(v.durability),
      ...(v.gid !== 0 ? { gid: v.gid } : {}),
      snapshot: { enable: v.snapshot.enable, factor: v.snapshot.factor },
      id: v.id,
      cluster: v.clusterId,
      mount: { glusterfs: { hosts, device: `${first ?? ''}:${v.name}`, options: { 'backup-volfile-servers': rest.join(',') } } },
      blockinfo: {},
    },
    Bricks: sorted(bricks.map((b) => b.id)),
    GlusterVolumeOptions: [...v.glusterVolumeOptions],
    Pending: { Id: pendingId },
  };
}

function brickEntry(b: Brick, pendingId: string): HeketiBrickEntry {
  return {
    Info: { id: b.id, path: brickPath(b.deviceId, b.id), device: b.deviceId, node: b.nodeId, volume: b.volumeId, size: b.sizeKib },
    TpSize: b.tpSizeKib,
    PoolMetadataSize: b.poolMetadataKib,
    Pending: { Id: pendingId },
    LvmThinPool: b.thinPool ?? thinPoolName(b.id),
    LvmLv: '',
    SubType: b.arbiter ? BRICK_SUBTYPE_ARBITER : BRICK_SUBTYPE_NORMAL,
  };
}

function pendingEntry(op: OperationRecord): HeketiPendingOperation {
  return {
    Id: op.id,
    Timestamp: Math.floor(new Date(op.createdAt).getTime() / 1000),
    Type: HEKETI_OPERATION_TYPE[op.kind] ?? 0,
    Actions: op.targetId ? [{ Change: 0, Id: op.targetId }] : [],
  };
}

/**
 * The database as Heketi's `GET /db/dump` answers it (and `heketi db export` writes it): the same top-level
 * keys, entry shapes and field names, so Heketi's `db import` and Brickyard's import both read it. Records
 * an operation is still working on carry its id in Pending, and the operation is listed.
 */
export async function heketiDump(db: Knex): Promise<HeketiDocument> {
  const [clusters, nodes, devices, volumes, bricks, active, attributes] = await Promise.all([
    listClusters(db),
    listNodes(db),
    listDevices(db),
    listVolumes(db),
    listAllBricks(db),
    listOperations(db, { states: ['pending', 'running'], limit: 1_000_000 }),
    readHeketiAttributes(db),
  ]);
  const opByTarget = new Map(active.filter((o) => o.targetId).map((o) => [o.targetId!, o.id]));
  const bricksByVolume = new Map<string, Brick[]>();
  const brickIdsByDevice = new Map<string, string[]>();
  for (const b of bricks) {
    bricksByVolume.set(b.volumeId, [...(bricksByVolume.get(b.volumeId) ?? []), b]);
    brickIdsByDevice.set(b.deviceId, [...(brickIdsByDevice.get(b.deviceId) ?? []), b.id]);
  }

  const clusterentries: Record<string, HeketiClusterEntry> = {};
  for (const c of clusters) {
    clusterentries[c.id] = {
      Info: {
        id: c.id,
        nodes: sorted(nodes.filter((n) => n.clusterId === c.id).map((n) => n.id)),
        volumes: sorted(volumes.filter((v) => v.clusterId === c.id).map((v) => v.id)),
        block: c.block,
        file: c.file,
        blockvolumes: [],
      },
    };
  }
  const volumeentries: Record<string, HeketiVolumeEntry> = {};
  for (const v of volumes) {
    const own = bricksByVolume.get(v.id) ?? [];
    const pending = v.state !== 'online' ? (opByTarget.get(v.id) ?? '') : '';
    volumeentries[v.id] = volumeEntry(v, own, mountHosts(v, own, nodes), pending);
  }
  const brickentries: Record<string, HeketiBrickEntry> = {};
  for (const b of bricks) brickentries[b.id] = brickEntry(b, b.state !== 'online' ? (opByTarget.get(b.volumeId) ?? '') : '');
  const nodeentries: Record<string, HeketiNodeEntry> = {};
  for (const n of nodes) {
    nodeentries[n.id] = {
      State: n.state,
      Info: withTags(
        { zone: n.zone, hostnames: { manage: [...n.manageHostnames], storage: [...n.storageHostnames] }, cluster: n.clusterId, id: n.id },
        n.tags,
      ),
      Devices: sorted(devices.filter((d) => d.nodeId === n.id).map((d) => d.id)),
    };
  }
  const deviceentries: Record<string, HeketiDeviceEntry> = {};
  for (const d of devices) {
    // Heketi's total is the whole volume group: the spare allowance goes back in, as free space
    const total = heketiTotal(d.totalKib, d.extentKib);
    const info = withTags({ name: d.name, storage: { total, free: total - d.usedKib, used: d.usedKib }, id: d.id }, d.tags);
    deviceentries[d.id] = {
      State: d.state,
      Info: {
        ...info,
        ...(d.paths.length > 0 ? { paths: [...d.paths] } : {}),
        ...(d.pvUuid ? { pv_uuid: d.pvUuid } : {}),
      },
      Bricks: sorted(brickIdsByDevice.get(d.id) ?? []),
      NodeId: d.nodeId,
      ExtentSize: d.extentKib,
    };
  }
  const values: Record<string, string> = { ...attributes };
  for (const key of HEKETI_DB_FLAGS) values[key] = 'yes';
  const dbattributeentries: HeketiDocument['dbattributeentries'] = {};
  for (const key of Object.keys(values).sort()) dbattributeentries[key] = { Key: key, Value: values[key]! };

  return {
    clusterentries,
    volumeentries,
    brickentries,
    nodeentries,
    deviceentries,
    blockvolumeentries: {},
    dbattributeentries,
    pendingoperations: Object.fromEntries(active.map((o) => [o.id, pendingEntry(o)])),
  };
}

/** This server's database in Heketi's format. */
export function heketiDumpOf(ctx: AppContext) {
  return heketiDump(ctx.db);
}
