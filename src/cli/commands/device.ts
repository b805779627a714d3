import type { Command } from 'commander';
import { requireId, tags } from '../args';
import { about, type CommandKit } from '../command-kit';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { deviceText } from '../format/node';
import type { DeviceInfo } from '../wire';

async function changeState(ctx: CliContext, raw: string | undefined, state: 'online' | 'offline' | 'failed', said: string) {
  const id = requireId('Device', raw);
  await about('Device', id, ctx.client().deviceState(id, state));
  ctx.show({ id, state }, () => `Device ${id} ${said}`);
}

export function registerDevice(program: Command, kit: CommandKit): void {
  const device = program.command('device').description('manage the raw disks of nodes');

  kit.act(
    kit
      .sub(device, 'add', 'add a raw disk of a node')
      .option('--name <path>', 'device path on the node, e.g. /dev/sdb')
      .option('--node <id>', 'node that has the device')
      .option('--destroy-existing-data', '[DANGEROUS] wipe any signature already on the device')
      .option('--tags <key:value,...>', 'tags to set on the device'),
    async (ctx, opts) => {
      if (!opts.name) throw new CliError('Missing device name');
      if (!opts.node) throw new CliError('Missing node id');
      const node = requireId('Node', opts.node);
      const deviceTags = tags('--tags', opts.tags);
      await ctx.client().deviceAdd({
        node,
        name: opts.name,
        destroydata: opts.destroyExistingData === true,
        ...(Object.keys(deviceTags).length > 0 ? { tags: deviceTags } : {}),
      });
      ctx.show({ node, name: opts.name, added: true }, () => 'Device added successfully');
    },
  );

  kit.act(kit.sub(device, 'info [device_id]', 'show a device and its bricks'), async (ctx, _opts, [raw]) => {
    const id = requireId('Device', raw);
    const info = (await about('Device', id, ctx.client().deviceInfo(id))) as DeviceInfo;
    ctx.show(info, deviceText);
  });

  kit.act(kit.sub(device, 'delete [device_id]', 'delete a removed device that has no bricks'), async (ctx, _opts, [raw]) => {
    const id = requireId('Device', raw);
    await about('Device', id, ctx.client().deviceDelete(id));
    ctx.show({ id, deleted: true }, () => `Device ${id} deleted`);
  });

  kit.act(kit.sub(device, 'enable [device_id]', 'let placement use the device again (state online)'), (ctx, _o, [raw]) =>
    changeState(ctx, raw, 'online', 'is now online'),
  );
  kit.act(kit.sub(device, 'disable [device_id]', 'keep new bricks off the device (state offline)'), (ctx, _o, [raw]) =>
    changeState(ctx, raw, 'offline', 'is now offline'),
  );
  kit.act(
    kit.sub(device, 'remove [device_id]', 'move every brick off the device (state failed), before deleting it'),
    (ctx, _o, [raw]) => changeState(ctx, raw, 'failed', 'is now removed'),
  );

  kit.act(kit.sub(device, 'resync [device_id]', "re-read the device's size from its node"), async (ctx, _opts, [raw]) => {
    const id = requireId('Device', raw);
    await about('Device', id, ctx.client().deviceResync(id));
    ctx.show({ id, resynced: true }, () => `Device ${id} updated`);
  });
}
