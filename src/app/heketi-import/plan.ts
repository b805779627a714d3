import { setWidth, type Durability } from '../../domain/durability';
import { reservedByDevice, thinPoolName, type Brick, type DeviceState, type NodeState, type StorageNode, type Volume } from '../../domain/model';
import { ARBITER_OPTION } from '../../domain/placement/options';
import type { ImportedDevice, ImportRows } from '../../db/repositories/import';
import { BRICK_SUBTYPE_ARBITER, type HeketiDocument, type HeketiVolumeEntry } from './document';
import { rebuildSets } from './sets';
import { brickyardTotal } from './space';
import { ImportRefused } from './refusal';

/** A device whose file figures differ from what its bricks hold. */
export interface DeviceDrift {
  device: string;
  node: string;
  name: string;
  /** The file's figures. */
  file: { total: number; free: number; used: number };
  /** What the device's bricks hold (thin pools plus their metadata). */
  bricks_kib: number;
  /** file used - bricks (positive: the file counted space no brick holds). */
  drift_kib: number;
  /** What is recorded instead (Brickyard's total leaves out the pool metadata spare allowance). */
  recorded: { total: number; free: number; used: number };
}

/** The records to insert (as the repository takes them), and what the import reports about them. */
export interface ImportPlan extends ImportRows {
  attributes: Record<string, string>;
  drift: DeviceDrift[];
  /** Left out of the devices' totals for LVM's pool metadata spare (Brickyard's rule), over all devices. */
  spareAllowanceKib: number;
}

function durabilityOf(v: HeketiVolumeEntry): Durability {
  const d = v.Info.durability;
  if (d.type === 'replicate') return { type: 'replicate', replica: d.replicate.replica! };
  if (d.type === 'disperse') return { type: 'disperse', data: d.disperse.data!, redundancy: d.disperse.redundancy! };
  return { type: 'none' };
}

/**
 * Turns a validated document into the records Brickyard keeps, with the same ids and Heketi's node-side
 * names. Device space is recomputed from the bricks; where the file says otherwise the difference is
 * reported. Refuses (nothing written) when a volume's bricks do not make whole sets or a device's bricks do
 * not fit on it.
 */
export function planImport(doc: HeketiDocument): ImportPlan {
  const problems: string[] = [];
  const clusters = Object.values(doc.clusterentries).map((c) => ({
    id: c.Info.id,
    file: c.Info.file,
    block: c.Info.block,
    volumeCount: Object.values(doc.volumeentries).filter((v) => v.Info.cluster === c.Info.id).length,
  }));
  const nodes: StorageNode[] = Object.values(doc.nodeentries).map((n) => ({
    id: n.Info.id,
    clusterId: n.Info.cluster,
    zone: n.Info.zone,
    state: n.State as NodeState,
    manageHostnames: [...n.Info.hostnames.manage],
    storageHostnames: [...n.Info.hostnames.storage],
    tags: { ...(n.Info.tags ?? {}) },
  }));

  const volumes: Volume[] = [];
  const bricks: Brick[] = [];
  for (const v of Object.values(doc.volumeentries)) {
    const durability = durabilityOf(v);
    const options = (v.GlusterVolumeOptions ?? []).map((o) => o.trim().replace(/\s+/, ' ')).filter((o) => o !== '');
    const entries = v.Bricks.map((id) => doc.brickentries[id]!);
    const markedArbiter = entries.some((b) => b.SubType === BRICK_SUBTYPE_ARBITER);
    const optionArbiter = options.some((o) => o.split(' ')[0] === ARBITER_OPTION && o.split(' ')[1]?.toLowerCase() === 'true');
    const arbiter = durability.type === 'replicate' && durability.replica === 3 && (markedArbiter || optionArbiter);
    const width = setWidth(durability);
    if (entries.length % width !== 0) {
      problems.push(`volumeentries.${v.Info.id}.Bricks: ${entries.length} bricks is not a whole number of sets of ${width}`);
      continue;
    }
    // A database older than brick sub-types: an arbiter volume's smallest brick of each set is its arbiter.
    const arbiterIds = new Set(
      markedArbiter
        ? entries.filter((b) => b.SubType === BRICK_SUBTYPE_ARBITER).map((b) => b.Info.id)
        : arbiter
          ? [...entries].sort((a, b) => a.Info.size - b.Info.size || a.Info.id.localeCompare(b.Info.id)).slice(0, entries.length / 3).map((b) => b.Info.id)
          : [],
    );
    if (arbiter && arbiterIds.size * 3 !== entries.length) {
      problems.push(`volumeentries.${v.Info.id}.Bricks: ${arbiterIds.size} arbiter bricks for ${entries.length / 3} arbiter sets`);
      continue;
    }
    const sets = rebuildSets(
      entries.map((b) => ({ id: b.Info.id, nodeId: b.Info.node, sizeKib: b.Info.size, arbiter: arbiterIds.has(b.Info.id) })),
      width,
      arbiter,
    );
    const setOf = new Map(sets.map((s) => [s.id, s]));
    volumes.push({
      id: v.Info.id,
      clusterId: v.Info.cluster,
      name: v.Info.name,
      sizeGib: v.Info.size,
      durability,
      gid: v.Info.gid ?? 0,
      snapshot: { enable: v.Info.snapshot.enable, factor: v.Info.snapshot.factor },
      glusterVolumeOptions: options,
      arbiter,
      state: 'online',
      mountHosts: [...v.Info.mount.glusterfs.hosts],
    });
    for (const b of entries) {
      const placed = setOf.get(b.Info.id)!;
      bricks.push({
        id: b.Info.id,
        volumeId: v.Info.id,
        deviceId: b.Info.device,
        nodeId: b.Info.node,
        setIndex: placed.setIndex,
        position: placed.position,
        sizeKib: b.Info.size,
        tpSizeKib: b.TpSize,
        poolMetadataKib: b.PoolMetadataSize,
        reservedKib: b.TpSize + b.PoolMetadataSize,
        arbiter: arbiterIds.has(b.Info.id),
        state: 'online',
        // Heketi's own pool name for the brick unless it recorded another
        thinPool: b.LvmThinPool && b.LvmThinPool !== thinPoolName(b.Info.id) ? b.LvmThinPool : null,
      });
    }
  }
  const orphans = Object.values(doc.brickentries).filter((b) => !doc.volumeentries[b.Info.volume]?.Bricks.includes(b.Info.id));
  for (const b of orphans) problems.push(`brickentries.${b.Info.id}.Info.volume: volume ${b.Info.volume} does not list this brick`);

  const held = reservedByDevice(bricks);
  const devices: ImportedDevice[] = [];
  const drift: DeviceDrift[] = [];
  let spareAllowanceKib = 0;
  for (const d of Object.values(doc.deviceentries)) {
    const total = d.Info.storage.total;
    const extent = d.ExtentSize > 0 ? d.ExtentSize : 4096;
    const h = held.get(d.Info.id) ?? { kib: 0, bricks: 0 };
    if (h.kib > total) {
      problems.push(`deviceentries.${d.Info.id}.Info.storage.total: its bricks hold ${h.kib} KiB, more than the device's ${total} KiB`);
      continue;
    }
    const books = brickyardTotal(total, extent, h.kib);
    spareAllowanceKib += books.allowanceKib;
    const used = h.kib;
    const file = d.Info.storage;
    if (file.free + file.used !== total || file.used !== h.kib) {
      drift.push({
        device: d.Info.id,
        node: d.NodeId,
        name: d.Info.name,
        file: { total, free: file.free, used: file.used },
        bricks_kib: h.kib,
        drift_kib: file.used - h.kib,
        recorded: { total: books.totalKib, free: books.totalKib - used, used },
      });
    }
    devices.push({
      id: d.Info.id,
      nodeId: d.NodeId,
      name: d.Info.name,
      state: d.State as DeviceState,
      totalKib: books.totalKib,
      freeKib: books.totalKib - used,
      usedKib: used,
      brickCount: h.bricks,
      extentKib: extent,
      pvUuid: d.Info.pv_uuid ?? '',
      paths: d.Info.paths ?? [],
      tags: { ...(d.Info.tags ?? {}) },
    });
  }
  if (problems.length > 0) throw new ImportRefused(problems);
  const attributes = Object.fromEntries(Object.values(doc.dbattributeentries).map((a) => [a.Key, a.Value]));
  return { clusters, nodes, devices, volumes, bricks, attributes, drift, spareAllowanceKib };
}
