import type { Knex } from 'knex';
import type { Durability } from '../../domain/durability';
import type { LifecycleState, SnapshotSettings, Volume } from '../../domain/model';

interface VolumeRow {
  id: string;
  cluster_id: string;
  name: string;
  size_gib: number;
  durability: Durability;
  gid: number;
  snapshot: SnapshotSettings;
  options: string[];
  arbiter: boolean;
  state: LifecycleState;
  mount_hosts: string[] | null;
}

const toVolume = (r: VolumeRow): Volume => ({
  id: r.id,
  clusterId: r.cluster_id,
  name: r.name,
  sizeGib: r.size_gib,
  durability: r.durability,
  gid: Number(r.gid),
  snapshot: r.snapshot,
  glusterVolumeOptions: r.options ?? [],
  arbiter: r.arbiter,
  state: r.state,
  mountHosts: r.mount_hosts ?? null,
});

export const volumeRow = (v: Volume) => ({
  id: v.id,
  cluster_id: v.clusterId,
  name: v.name,
  size_gib: v.sizeGib,
  durability: JSON.stringify(v.durability),
  gid: v.gid,
  snapshot: JSON.stringify(v.snapshot),
  options: JSON.stringify(v.glusterVolumeOptions),
  arbiter: v.arbiter,
  state: v.state,
  mount_hosts: v.mountHosts ? JSON.stringify(v.mountHosts) : null,
});

/** Records the volume and counts it in its cluster, in one statement; returns the cluster's new volume count. */
export async function insertVolume(db: Knex, v: Volume): Promise<number> {
  const [row] = await db
    .with('added', db('volumes').insert(volumeRow(v)).returning('cluster_id'))
    .from('clusters')
    .whereIn('id', db.select('cluster_id').from('added'))
    .update({ volume_count: db.raw('volume_count + 1') })
    .returning('volume_count');
  if (!row) throw new Error(`cluster ${v.clusterId} of volume ${v.id} not found`);
  return Number((row as { volume_count: number }).volume_count);
}

export async function findVolume(db: Knex, id: string, forUpdate = false): Promise<Volume | undefined> {
  const q = db<VolumeRow>('volumes').where({ id }).first();
  const row = await (forUpdate ? q.forUpdate() : q);
  return row ? toVolume(row) : undefined;
}

export async function findVolumeByName(db: Knex, name: string): Promise<Volume | undefined> {
  const row = await db<VolumeRow>('volumes').where({ name }).first();
  return row ? toVolume(row) : undefined;
}

export async function listVolumeIds(db: Knex, filter: { clusterId?: string; visibleOnly?: boolean } = {}): Promise<string[]> {
  const q = db('volumes').select('id').orderBy('created_at').orderBy('id');
  if (filter.clusterId) q.where({ cluster_id: filter.clusterId });
  if (filter.visibleOnly) q.whereNot({ state: 'pending' });
  return (await q).map((r: { id: string }) => r.id);
}

/** Volumes per cluster, pending ones left out (they are not shown until made). */
export async function countVisibleVolumesByCluster(db: Knex): Promise<Map<string, number>> {
  const rows = await db('volumes').select('cluster_id').count('* as n').whereNot({ state: 'pending' }).groupBy('cluster_id');
  return new Map(rows.map((r) => [String(r.cluster_id), Number(r.n)]));
}

export async function listVolumes(db: Knex): Promise<Volume[]> {
  return (await db<VolumeRow>('volumes').select('*').orderBy('created_at').orderBy('id')).map(toVolume);
}

export async function updateVolume(
  db: Knex,
  id: string,
  changes: Partial<{ state: LifecycleState; sizeGib: number }>,
): Promise<number> {
  const row: Record<string, unknown> = {};
  if (changes.state) row.state = changes.state;
  if (changes.sizeGib !== undefined) row.size_gib = changes.sizeGib;
  const rows = await db('volumes').where({ id }).update(row).returning('id');
  return rows.length;
}

/**
 * Deletes the volume and uncounts it in its cluster, in one statement. Returns whether the volume was there to
 * delete (a volume always has its cluster: foreign key).
 */
export async function deleteVolume(db: Knex, id: string): Promise<boolean> {
  const rows = await db
    .with('gone', db('volumes').where({ id }).delete().returning('cluster_id'))
    .from('clusters')
    .whereIn('id', db.select('cluster_id').from('gone'))
    .update({ volume_count: db.raw('volume_count - 1') })
    .returning('id');
  return rows.length > 0;
}
