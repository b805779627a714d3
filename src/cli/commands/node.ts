import type { Command } from 'commander';
import { requireId, tags, wholeNumber } from '../args';
import { about, type CommandKit } from '../command-kit';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { mapLimited } from '../topology/fetch';
import { nodeAddedText, nodeText } from '../format/node';
import type { ClusterInfo, NodeInfo } from '../wire';

async function changeState(ctx: CliContext, raw: string | undefined, state: 'online' | 'offline' | 'failed', said: string) {
  const id = requireId('Node', raw);
  await about('Node', id, ctx.client().nodeState(id, state));
  ctx.show({ id, state }, () => `Node ${id} ${said}`);
}

export function registerNode(program: Command, kit: CommandKit): void {
  const node = program.command('node').description('manage storage nodes');

  kit.act(
    kit
      .sub(node, 'add', 'add a storage node to a cluster')
      .option('--zone <n>', 'failure domain of the node (1 or more)')
      .option('--cluster <id>', 'cluster the node joins')
      .option('--management-host-name <host>', 'hostname or address the server manages the node through')
      .option('--storage-host-name <host>', 'hostname or address gluster traffic uses')
      .option('--tags <key:value,...>', 'tags to set on the node'),
    async (ctx, opts) => {
      if (opts.zone === undefined) throw new CliError('Missing zone');
      const zone = wholeNumber('--zone', opts.zone, 1, 2 ** 31 - 1);
      if (!opts.managementHostName) throw new CliError('Missing management hostname');
      if (!opts.storageHostName) throw new CliError('Missing storage hostname');
      if (!opts.cluster) throw new CliError('Missing cluster id');
      const cluster = requireId('Cluster', opts.cluster);
      const nodeTags = tags('--tags', opts.tags);
      const info = (await ctx.client().nodeAdd({
        zone,
        cluster,
        hostnames: { manage: [opts.managementHostName], storage: [opts.storageHostName] },
        ...(Object.keys(nodeTags).length > 0 ? { tags: nodeTags } : {}),
      })) as NodeInfo;
      ctx.show(info, nodeAddedText);
    },
  );

  kit.act(kit.sub(node, 'info [node_id]', 'show a node and its devices'), async (ctx, _opts, [raw]) => {
    const id = requireId('Node', raw);
    const info = (await about('Node', id, ctx.client().nodeInfo(id))) as NodeInfo;
    ctx.show(info, nodeText);
  });

  kit.act(kit.sub(node, 'list', 'list nodes of every cluster'), async (ctx) => {
    const { clusters } = (await ctx.client().clusterList()) as { clusters: string[] };
    const infos = await mapLimited(clusters, 8, async (id) => (await ctx.client().clusterInfo(id)) as ClusterInfo);
    const nodes = infos.flatMap((c) => c.nodes.map((id) => ({ id, cluster: c.id })));
    ctx.show({ nodes }, (v) => v.nodes.map((n) => `Id:${n.id}\tCluster:${n.cluster}`).join('\n'));
  });

  kit.act(kit.sub(node, 'delete [node_id]', 'delete a node that has no devices left'), async (ctx, _opts, [raw]) => {
    const id = requireId('Node', raw);
    await about('Node', id, ctx.client().nodeDelete(id));
    ctx.show({ id, deleted: true }, () => `Node ${id} deleted`);
  });

  kit.act(kit.sub(node, 'enable [node_id]', 'let placement use the node again (state online)'), (ctx, _o, [raw]) =>
    changeState(ctx, raw, 'online', 'is now online'),
  );
  kit.act(kit.sub(node, 'disable [node_id]', 'keep new bricks off the node (state offline)'), (ctx, _o, [raw]) =>
    changeState(ctx, raw, 'offline', 'is now offline'),
  );
  kit.act(
    kit.sub(node, 'remove [node_id]', "move every brick off the node's devices (state failed), before deleting it"),
    (ctx, _o, [raw]) => changeState(ctx, raw, 'failed', 'Removed'),
  );
}
