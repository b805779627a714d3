import type { Knex } from 'knex';
import { conflict, notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import type { Cluster } from '../domain/model';
import { clusterHasMembers, deleteCluster, findCluster, insertCluster, updateClusterFlags } from '../db/repositories/clusters';
import type { AppContext } from './context';

/** Clusters change only in the database: no storage node is involved, so these answer synchronously. */
export async function createCluster(ctx: AppContext, flags: { file: boolean; block: boolean }): Promise<Cluster> {
  const cluster: Cluster = { id: newId(), ...flags };
  await insertCluster(ctx.db, cluster);
  return cluster;
}

export async function setClusterFlags(ctx: AppContext, id: string, flags: { file: boolean; block: boolean }): Promise<void> {
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    if (!(await findCluster(trx, id, true))) throw notFound();
    await updateClusterFlags(trx, id, flags);
  });
}

export async function removeCluster(ctx: AppContext, id: string): Promise<void> {
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    if (!(await findCluster(trx, id, true))) throw notFound();
    if (await clusterHasMembers(trx, id)) {
      throw conflict(`Unable to delete cluster [${id}] because it contains volumes and/or nodes`);
    }
    await deleteCluster(trx, id);
  });
}
