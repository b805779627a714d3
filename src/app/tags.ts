import type { Knex } from 'knex';
import { notFound, validationError } from '../domain/errors';
import { MAX_TAGS, type TagChange } from '../domain/tags';
import { applyTagChange } from '../domain/tags';
import { findDevice, updateDevice } from '../db/repositories/devices';
import { findNode, updateNode } from '../db/repositories/nodes';
import type { AppContext } from './context';

export async function changeNodeTags(ctx: AppContext, nodeId: string, change: TagChange): Promise<void> {
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    const node = await findNode(trx, nodeId, true);
    if (!node) throw notFound();
    const tags = applyTagChange(node.tags, change);
    if (Object.keys(tags).length > MAX_TAGS) throw validationError('tags', `at most ${MAX_TAGS} tags`);
    await updateNode(trx, nodeId, { tags });
  });
}

export async function changeDeviceTags(ctx: AppContext, deviceId: string, change: TagChange): Promise<void> {
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    const device = await findDevice(trx, deviceId, true);
    if (!device) throw notFound();
    const tags = applyTagChange(device.tags, change);
    if (Object.keys(tags).length > MAX_TAGS) throw validationError('tags', `at most ${MAX_TAGS} tags`);
    await updateDevice(trx, deviceId, { tags });
  });
}
