import type { Knex } from 'knex';
import type { Brick, LifecycleState } from '../../domain/model';

interface BrickRow {
  id: string;
  volume_id: string;
  device_id: string;
  node_id: string;
  set_index: number;
  position: number;
  size_kib: number;
  tp_size_kib: number;
  pool_metadata_kib: number;
  reserved_kib: number;
  arbiter: boolean;
  state: LifecycleState;
  thin_pool: string | null;
}

const toBrick = (r: BrickRow): Brick => ({
  id: r.id,
  volumeId: r.volume_id,
  deviceId: r.device_id,
  nodeId: r.node_id,
  setIndex: r.set_index,
  position: r.position,
  sizeKib: r.size_kib,
  tpSizeKib: r.tp_size_kib,
  poolMetadataKib: r.pool_metadata_kib,
  reservedKib: r.reserved_kib,
  arbiter: r.arbiter,
  state: r.state,
  thinPool: r.thin_pool ?? null,
});

/**
 * The columns of a brick Brickyard records. No thin_pool: a brick Brickyard makes always gets tp_<brick id>
 * (an evicted brick's replacement copies the old brick's fields but not its pool); only an import records one.
 */
export const brickRow = (b: Brick) => ({
  id: b.id,
  volume_id: b.volumeId,
  device_id: b.deviceId,
  node_id: b.nodeId,
  set_index: b.setIndex,
  position: b.position,
  size_kib: b.sizeKib,
  tp_size_kib: b.tpSizeKib,
  pool_metadata_kib: b.poolMetadataKib,
  reserved_kib: b.reservedKib,
  arbiter: b.arbiter,
  state: b.state,
});

export async function insertBricks(db: Knex, bricks: Brick[]): Promise<void> {
  if (bricks.length === 0) return;
  await db('bricks').insert(bricks.map(brickRow));
}

const ordered = (q: Knex.QueryBuilder) => q.orderBy('set_index').orderBy('position').orderBy('id');

export async function listBricksOfVolume(db: Knex, volumeId: string): Promise<Brick[]> {
  return (await ordered(db<BrickRow>('bricks').where({ volume_id: volumeId }))).map(toBrick);
}

export async function listBricksOfVolumes(db: Knex, volumeIds: string[]): Promise<Brick[]> {
  if (volumeIds.length === 0) return [];
  return (await ordered(db<BrickRow>('bricks').whereIn('volume_id', volumeIds))).map(toBrick);
}

export async function listBricksOfDevices(db: Knex, deviceIds: string[]): Promise<Brick[]> {
  if (deviceIds.length === 0) return [];
  return (await ordered(db<BrickRow>('bricks').whereIn('device_id', deviceIds))).map(toBrick);
}

export async function findBricks(db: Knex, ids: string[]): Promise<Brick[]> {
  if (ids.length === 0) return [];
  return (await ordered(db<BrickRow>('bricks').whereIn('id', ids))).map(toBrick);
}

export async function listAllBricks(db: Knex): Promise<Brick[]> {
  return (await ordered(db<BrickRow>('bricks').select('*'))).map(toBrick);
}

export async function countBricksByDevice(db: Knex, deviceIds?: string[]): Promise<Map<string, number>> {
  const q = db('bricks').select('device_id').count('* as n').groupBy('device_id');
  if (deviceIds) q.whereIn('device_id', deviceIds);
  const rows = await q;
  return new Map(rows.map((r) => [String(r.device_id), Number(r.n)]));
}

/** Returns how many rows changed (a finalize checks it got them all). */
export async function updateBricks(db: Knex, ids: string[], changes: { state: LifecycleState }): Promise<number> {
  if (ids.length === 0) return 0;
  // returning(): knex-pglite does not turn an update's result into a row count
  const rows = await db('bricks').whereIn('id', ids).update({ state: changes.state }).returning('id');
  return rows.length;
}

/** KiB reserved on a device by bricks still being made (they may not be on the disk yet). */
export async function pendingReservedKib(db: Knex, deviceId: string): Promise<number> {
  const row = await db('bricks').where({ device_id: deviceId, state: 'pending' }).sum({ kib: 'reserved_kib' }).first();
  return Number(row?.kib ?? 0);
}

/** Deletes the bricks and returns the rows really deleted: space is credited from these, never from memory. */
export async function deleteBricks(db: Knex, ids: string[]): Promise<Brick[]> {
  if (ids.length === 0) return [];
  const rows = await db<BrickRow>('bricks').whereIn('id', ids).delete().returning('*');
  return rows.map(toBrick);
}
