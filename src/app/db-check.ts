import type { Knex } from 'knex';
import { setWidth } from '../domain/durability';
import { reservedByDevice } from '../domain/model';
import { listAllBricks } from '../db/repositories/bricks';
import { listClustersWithVolumeCounts } from '../db/repositories/clusters';
import { listDevices } from '../db/repositories/devices';
import { listNodes } from '../db/repositories/nodes';
import { listActiveOperationTargets } from '../db/repositories/operations';
import { listVolumes } from '../db/repositories/volumes';

export interface DbCheckReport {
  ok: boolean;
  counts: Record<string, number>;
  problems: string[];
}

/**
 * Cross-checks the records against each other (what Heketi's `db check` reports): device space equals the
 * sum of its bricks' reservations, bricks point at live devices on their own node, volumes have whole sets,
 * and nothing is left pending without an operation working on it.
 */
export async function checkDatabase(db: Knex): Promise<DbCheckReport> {
  const [clusters, nodes, devices, volumes, bricks, active] = await Promise.all([
    listClustersWithVolumeCounts(db),
    listNodes(db),
    listDevices(db),
    listVolumes(db),
    listAllBricks(db),
    listActiveOperationTargets(db),
  ]);
  const problems: string[] = [];
  const clusterIds = new Set(clusters.map((c) => c.id));
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const deviceById = new Map(devices.map((d) => [d.id, d]));
  const activeTargets = new Set(active);

  for (const n of nodes) {
    if (!clusterIds.has(n.clusterId)) problems.push(`node ${n.id}: cluster ${n.clusterId} does not exist`);
    if (n.lifecycle !== 'ready' && !activeTargets.has(n.id)) problems.push(`node ${n.id}: ${n.lifecycle} with no operation`);
  }
  for (const d of devices) {
    if (!nodeById.has(d.nodeId)) problems.push(`device ${d.id}: node ${d.nodeId} does not exist`);
    if (d.lifecycle !== 'ready' && !activeTargets.has(d.id)) problems.push(`device ${d.id}: ${d.lifecycle} with no operation`);
    if (d.lifecycle === 'ready' && d.freeKib + d.usedKib !== d.totalKib) {
      problems.push(`device ${d.id}: free ${d.freeKib} + used ${d.usedKib} != total ${d.totalKib} KiB`);
    }
  }
  for (const b of bricks) {
    const device = deviceById.get(b.deviceId);
    if (!device) problems.push(`brick ${b.id}: device ${b.deviceId} does not exist`);
    else if (device.nodeId !== b.nodeId) problems.push(`brick ${b.id}: node ${b.nodeId} is not its device's node`);
  }
  const reserved = reservedByDevice(bricks);
  for (const d of devices) {
    const r = reserved.get(d.id) ?? { kib: 0, bricks: 0 };
    if (r.bricks !== d.brickCount) problems.push(`device ${d.id}: ${d.brickCount} bricks counted, ${r.bricks} recorded`);
    // A resync legitimately replaces used space with what the node reports, so only over-commit is an error.
    if (d.lifecycle === 'ready' && r.kib > d.usedKib) {
      problems.push(`device ${d.id}: bricks reserve ${r.kib} KiB but only ${d.usedKib} KiB is counted used`);
    }
  }
  const bricksByVolume = new Map<string, number>();
  for (const b of bricks) bricksByVolume.set(b.volumeId, (bricksByVolume.get(b.volumeId) ?? 0) + 1);
  for (const v of volumes) {
    if (!clusterIds.has(v.clusterId)) problems.push(`volume ${v.id}: cluster ${v.clusterId} does not exist`);
    const count = bricksByVolume.get(v.id) ?? 0;
    if (v.state === 'online' && (count === 0 || count % setWidth(v.durability) !== 0)) {
      problems.push(`volume ${v.id}: ${count} bricks is not a whole number of sets of ${setWidth(v.durability)}`);
    }
    if (v.state !== 'online' && !activeTargets.has(v.id)) problems.push(`volume ${v.id}: ${v.state} with no operation`);
  }
  for (const c of clusters) {
    const actual = volumes.filter((v) => v.clusterId === c.id).length;
    if (actual !== c.volumeCount) problems.push(`cluster ${c.id}: ${c.volumeCount} volumes counted, ${actual} recorded`);
  }
  const volumeIds = new Set(volumes.map((v) => v.id));
  for (const b of bricks) if (!volumeIds.has(b.volumeId)) problems.push(`brick ${b.id}: volume ${b.volumeId} does not exist`);

  return {
    ok: problems.length === 0,
    counts: {
      clusters: clusters.length,
      nodes: nodes.length,
      devices: devices.length,
      volumes: volumes.length,
      bricks: bricks.length,
      operations_in_flight: active.length,
    },
    problems,
  };
}
