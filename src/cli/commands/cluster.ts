import type { Command } from 'commander';
import { boolean, requireId } from '../args';
import { about, type CommandKit } from '../command-kit';
import { mapLimited } from '../topology/fetch';
import { clusterListText, clusterText } from '../format/cluster';
import type { ClusterInfo } from '../wire';

export function registerCluster(program: Command, kit: CommandKit): void {
  const cluster = program.command('cluster').description('manage clusters');

  kit.act(
    kit
      .sub(cluster, 'create', 'create a cluster')
      .option('--file [bool]', 'allow file volumes on the cluster (default true)')
      .option('--block [bool]', 'allow block volumes on the cluster (default true)'),
    async (ctx, opts) => {
      const request = { file: boolean('--file', opts.file, true), block: boolean('--block', opts.block, true) };
      const info = (await ctx.client().clusterCreate(request)) as ClusterInfo;
      ctx.show(info, (c) => `Cluster id: ${c.id}`);
    },
  );

  kit.act(kit.sub(cluster, 'list', 'list clusters'), async (ctx) => {
    const { clusters } = (await ctx.client().clusterList()) as { clusters: string[] };
    if (ctx.json) return ctx.printJson({ clusters });
    const infos = await mapLimited(clusters, 8, async (id) => (await ctx.client().clusterInfo(id)) as ClusterInfo);
    ctx.print(clusterListText(infos));
  });

  kit.act(kit.sub(cluster, 'info [cluster_id]', 'show a cluster'), async (ctx, _opts, [raw]) => {
    const id = requireId('Cluster', raw);
    const info = (await about('Cluster', id, ctx.client().clusterInfo(id))) as ClusterInfo;
    ctx.show(info, clusterText);
  });

  kit.act(kit.sub(cluster, 'delete [cluster_id]', 'delete an empty cluster'), async (ctx, _opts, [raw]) => {
    const id = requireId('Cluster', raw);
    await about('Cluster', id, ctx.client().clusterDelete(id));
    ctx.show({ id, deleted: true }, () => `Cluster ${id} deleted`);
  });
}
