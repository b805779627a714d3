import type { Knex } from 'knex';
import type { DeviceRecord, DeviceState, Lifecycle, Tags } from '../../domain/model';

interface DeviceRow {
  id: string;
  node_id: string;
  name: string;
  state: DeviceState;
  lifecycle: Lifecycle;
  total_kib: number;
  free_kib: number;
  used_kib: number;
  brick_count: number;
  extent_kib: number;
  pv_uuid: string;
  paths: string[];
  tags: Tags;
  destroy_data: boolean;
}

const toDevice = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  nodeId: r.node_id,
  name: r.name,
  state: r.state,
  lifecycle: r.lifecycle,
  totalKib: r.total_kib,
  freeKib: r.free_kib,
  usedKib: r.used_kib,
  brickCount: r.brick_count,
  extentKib: r.extent_kib,
  pvUuid: r.pv_uuid,
  paths: r.paths ?? [],
  tags: r.tags ?? {},
  destroyData: r.destroy_data,
});

/** Every column of a device (insertDevice records a new device with fewer: its space is not known yet). */
export const deviceRow = (d: DeviceRecord) => ({
  id: d.id,
  node_id: d.nodeId,
  name: d.name,
  state: d.state,
  lifecycle: d.lifecycle,
  total_kib: d.totalKib,
  free_kib: d.freeKib,
  used_kib: d.usedKib,
  brick_count: d.brickCount,
  extent_kib: d.extentKib,
  pv_uuid: d.pvUuid,
  paths: JSON.stringify(d.paths),
  tags: JSON.stringify(d.tags),
  destroy_data: d.destroyData,
});

export async function insertDevice(
  db: Knex,
  d: { id: string; nodeId: string; name: string; tags: Tags; destroyData: boolean },
): Promise<void> {
  await db('devices').insert({
    id: d.id,
    node_id: d.nodeId,
    name: d.name,
    state: 'online',
    lifecycle: 'pending',
    tags: JSON.stringify(d.tags),
    destroy_data: d.destroyData,
  });
}

export async function findDevice(db: Knex, id: string, forUpdate = false): Promise<DeviceRecord | undefined> {
  const q = db<DeviceRow>('devices').where({ id }).first();
  const row = await (forUpdate ? q.forUpdate() : q);
  return row ? toDevice(row) : undefined;
}

export async function findDeviceByName(db: Knex, nodeId: string, name: string): Promise<DeviceRecord | undefined> {
  const row = await db<DeviceRow>('devices').where({ node_id: nodeId, name }).first();
  return row ? toDevice(row) : undefined;
}

export async function listDevices(db: Knex, filter: { nodeIds?: string[] } = {}): Promise<DeviceRecord[]> {
  const q = db<DeviceRow>('devices').select('*').orderBy('created_at').orderBy('id');
  if (filter.nodeIds) q.whereIn('node_id', filter.nodeIds);
  return (await q).map(toDevice);
}

/**
 * Locks the rows of these devices (in id order, so two transactions never wait on each other in a cycle)
 * and returns them. Every change of a device's free space goes through a lock taken here.
 */
export async function lockDevices(trx: Knex.Transaction, ids: string[]): Promise<Map<string, DeviceRecord>> {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length === 0) return new Map();
  const rows = await trx<DeviceRow>('devices').whereIn('id', sorted).orderBy('id').forUpdate();
  return new Map(rows.map((r) => [r.id, toDevice(r)]));
}

/**
 * lockDevices, with the state of each device's node read in the same statement (a reservation checks both;
 * one round trip instead of two). Only the device rows are locked, as lockDevices does.
 */
export async function lockDevicesWithNodeState(
  trx: Knex.Transaction,
  ids: string[],
): Promise<Map<string, DeviceRecord & { nodeState: string }>> {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length === 0) return new Map();
  const rows = await trx<DeviceRow & { node_state: string }>('devices')
    .join('nodes', 'nodes.id', 'devices.node_id')
    .whereIn('devices.id', sorted)
    .orderBy('devices.id')
    .select('devices.*', 'nodes.state as node_state')
    .forUpdate('devices');
  return new Map(rows.map((r) => [r.id, { ...toDevice(r), nodeState: r.node_state }]));
}

/**
 * Moves each device's `kib` from free to used and counts `bricks` more bricks (negative values give back), for
 * all of them in one statement. One entry per device (an UPDATE ... FROM applies a single joined row to each
 * device). The caller holds the row locks; the CHECK constraint refuses the whole statement if any device would
 * be over-committed.
 */
export async function adjustDevicesSpace(
  trx: Knex.Transaction,
  changes: Array<{ id: string; kib: number; bricks: number }>,
): Promise<void> {
  const moving = changes.filter((c) => c.kib !== 0 || c.bricks !== 0);
  if (moving.length === 0) return;
  if (new Set(moving.map((c) => c.id)).size !== moving.length) throw new Error('adjustDevicesSpace: a device given twice');
  const values = moving.map(() => '(?::varchar, ?::bigint, ?::integer)').join(', ');
  await trx.raw(
    `update devices as d set free_kib = d.free_kib - v.kib, used_kib = d.used_kib + v.kib, brick_count = d.brick_count + v.bricks ` +
      `from (values ${values}) as v(id, kib, bricks) where d.id = v.id`,
    moving.flatMap((c) => [c.id, c.kib, c.bricks]),
  );
}

export async function updateDevice(
  db: Knex,
  id: string,
  changes: Partial<{
    state: DeviceState;
    lifecycle: Lifecycle;
    tags: Tags;
    totalKib: number;
    freeKib: number;
    usedKib: number;
    extentKib: number;
    pvUuid: string;
    paths: string[];
  }>,
): Promise<number> {
  const row: Record<string, unknown> = {};
  if (changes.state !== undefined) row.state = changes.state;
  if (changes.lifecycle !== undefined) row.lifecycle = changes.lifecycle;
  if (changes.tags !== undefined) row.tags = JSON.stringify(changes.tags);
  if (changes.totalKib !== undefined) row.total_kib = changes.totalKib;
  if (changes.freeKib !== undefined) row.free_kib = changes.freeKib;
  if (changes.usedKib !== undefined) row.used_kib = changes.usedKib;
  if (changes.extentKib !== undefined) row.extent_kib = changes.extentKib;
  if (changes.pvUuid !== undefined) row.pv_uuid = changes.pvUuid;
  if (changes.paths !== undefined) row.paths = JSON.stringify(changes.paths);
  if (Object.keys(row).length === 0) return (await db('devices').where({ id }).select('id')).length;
  return (await db('devices').where({ id }).update(row).returning('id')).length;
}

export async function deleteDevice(db: Knex, id: string): Promise<number> {
  return (await db('devices').where({ id }).delete().returning('id')).length;
}
