import type { Command } from 'commander';
import { requireId, wholeNumber } from '../args';
import { about, type CommandKit } from '../command-kit';
import { CliError } from '../errors';
import { followOperation } from '../follow-operation';
import { mapLimited } from '../topology/fetch';
import { volumeListLine, volumeText } from '../format/volume';
import { volumeCreateRequest } from '../volume-request';
import type { VolumeInfo } from '../wire';

export function registerVolume(program: Command, kit: CommandKit): void {
  const volume = program.command('volume').description('manage GlusterFS volumes');

  kit.act(
    kit
      .sub(volume, 'create', 'create a volume')
      .option('--size <GiB>', 'size of the volume in GiB')
      .option('--name <name>', 'volume name (default vol_<id>)')
      .option('--durability <type>', 'none, replicate or disperse', 'replicate')
      .option('--replica <n>', 'bricks per replica set for replicate', '3')
      .option('--disperse-data <n>', 'data bricks per set for disperse', '4')
      .option('--redundancy <n>', 'redundancy bricks per set for disperse', '2')
      .option('--gid <gid>', 'group id owning the volume root')
      .option('--snapshot-factor <x>', 'thin pool size over volume size; above 1 enables snapshots', '1')
      .option('--clusters <id,...>', 'only place the volume in these clusters')
      .option('--gluster-volume-options <"key value",...>', 'gluster volume options to set')
      .addHelpText(
        'after',
        '\nExamples:\n  $ brickyard volume create --size=100\n' +
          '  $ brickyard volume create --size=100 --durability=disperse --disperse-data=8 --redundancy=3\n' +
          '  $ brickyard volume create --size=10 --gluster-volume-options="performance.rda-cache-limit 10MB"',
      ),
    async (ctx, opts) => {
      const request = volumeCreateRequest(opts);
      const info = (await followOperation(ctx, 'creating volume', (watch) => ctx.client().volumeCreate(request, watch))) as VolumeInfo;
      ctx.show(info, volumeText);
    },
  );

  kit.act(kit.sub(volume, 'list', 'list volumes'), async (ctx) => {
    const { volumes } = (await ctx.client().volumeList()) as { volumes: string[] };
    if (ctx.json) return ctx.printJson({ volumes });
    const infos = await mapLimited(volumes, 8, async (id) => (await ctx.client().volumeInfo(id)) as VolumeInfo);
    ctx.print(infos.map(volumeListLine).join('\n'));
  });

  kit.act(kit.sub(volume, 'info [volume_id]', 'show a volume and its mount line'), async (ctx, _opts, [raw]) => {
    const id = requireId('Volume', raw);
    const info = (await about('Volume', id, ctx.client().volumeInfo(id))) as VolumeInfo;
    ctx.show(info, volumeText);
  });

  kit.act(
    kit
      .sub(volume, 'expand [volume_id]', 'add space to a volume')
      .option('--volume <id>', 'volume to expand')
      .option('--expand-size <GiB>', 'GiB to add'),
    async (ctx, opts, [positional]) => {
      if (opts.expandSize === undefined) throw new CliError('Missing volume amount to expand');
      const expandBy = wholeNumber('--expand-size', opts.expandSize, 1);
      const raw = opts.volume ?? positional;
      if (raw === undefined) throw new CliError('Missing volume id');
      const id = requireId('Volume', raw);
      const expanding = followOperation(ctx, 'expanding volume', (watch) => ctx.client().volumeExpand(id, expandBy, watch));
      const info = (await about('Volume', id, expanding)) as VolumeInfo;
      ctx.show(info, volumeText);
    },
  );

  kit.act(kit.sub(volume, 'delete [volume_id]', 'delete a volume and its bricks'), async (ctx, _opts, [raw]) => {
    const id = requireId('Volume', raw);
    await about('Volume', id, followOperation(ctx, 'deleting volume', (watch) => ctx.client().volumeDelete(id, watch)));
    ctx.show({ id, deleted: true }, () => `Volume ${id} deleted`);
  });
}
