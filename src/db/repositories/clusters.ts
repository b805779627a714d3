import type { Knex } from 'knex';
import type { Cluster } from '../../domain/model';

interface ClusterRow {
  id: string;
  file: boolean;
  block: boolean;
  volume_count: number;
}

const toCluster = (r: ClusterRow): Cluster => ({ id: r.id, file: r.file, block: r.block });

export const clusterRow = (c: Cluster) => ({ id: c.id, file: c.file, block: c.block });

export async function insertCluster(db: Knex, cluster: Cluster): Promise<void> {
  await db('clusters').insert(clusterRow(cluster));
}

export async function findCluster(db: Knex, id: string, forUpdate = false): Promise<Cluster | undefined> {
  const q = db<ClusterRow>('clusters').where({ id }).first();
  const row = await (forUpdate ? q.forUpdate() : q);
  return row ? toCluster(row) : undefined;
}

export async function listClusterIds(db: Knex): Promise<string[]> {
  const rows = await db('clusters').select('id').orderBy('created_at').orderBy('id');
  return rows.map((r: { id: string }) => r.id);
}

export async function listClusters(db: Knex): Promise<Cluster[]> {
  const rows = await db<ClusterRow>('clusters').select('*').orderBy('created_at').orderBy('id');
  return rows.map(toCluster);
}

/** Clusters with how many volumes each holds (pending ones included: their names and space are taken). */
export async function listClustersWithVolumeCounts(db: Knex): Promise<Array<Cluster & { volumeCount: number }>> {
  const rows = await db<ClusterRow>('clusters').select('*').orderBy('created_at').orderBy('id');
  return rows.map((r) => ({ ...toCluster(r), volumeCount: r.volume_count }));
}

/** Whether any node or volume (in any state) still belongs to the cluster. */
export async function clusterHasMembers(db: Knex, id: string): Promise<boolean> {
  const [node, volume] = await Promise.all([
    db('nodes').where({ cluster_id: id }).first('id'),
    db('volumes').where({ cluster_id: id }).first('id'),
  ]);
  return Boolean(node || volume);
}

export async function updateClusterFlags(db: Knex, id: string, flags: { file: boolean; block: boolean }): Promise<void> {
  await db('clusters').where({ id }).update(flags);
}

export async function deleteCluster(db: Knex, id: string): Promise<void> {
  await db('clusters').where({ id }).delete();
}
