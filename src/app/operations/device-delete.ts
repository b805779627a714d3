import type { Knex } from 'knex';
import { badRequest, conflict, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { countBricksByDevice } from '../../db/repositories/bricks';
import { deleteDevice, findDevice, updateDevice } from '../../db/repositories/devices';
import { findNode } from '../../db/repositories/nodes';
import { findActiveOperationFor, insertOperation } from '../../db/repositories/operations';
import type { AppContext } from '../context';
import { manageHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const DEVICE_DELETE = 'device_delete';

export async function startDeviceDelete(ctx: AppContext, deviceId: string, initiator: Initiator): Promise<{ opId: string }> {
  const opId = newId();
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    const device = await findDevice(trx, deviceId, true);
    if (!device) throw notFound();
    if (device.state !== 'failed') throw badRequest(`device: ${deviceId} is not in failed state`);
    if (((await countBricksByDevice(trx, [deviceId])).get(deviceId) ?? 0) > 0) {
      throw conflict(`Unable to delete device [${deviceId}] because it contains bricks`);
    }
    if (device.lifecycle !== 'ready' || (await findActiveOperationFor(trx, deviceId))) {
      throw conflict(`Device ${deviceId} is busy with another operation`);
    }
    await updateDevice(trx, deviceId, { lifecycle: 'deleting' });
    await insertOperation(trx, {
      id: opId,
      kind: DEVICE_DELETE,
      initiator,
      targetId: deviceId,
      payload: { deviceId },
      owner: ctx.instanceId,
      leaseSeconds: ctx.leaseSeconds,
    });
  });
  return { opId };
}

export const deviceDeleteHandler: OperationHandler = {
  kind: DEVICE_DELETE,
  recovery: 'finish',

  async exec(ctx, op) {
    const device = await findDevice(ctx.db, String(op.payload.deviceId));
    const node = device && (await findNode(ctx.db, device.nodeId));
    if (!device || !node) return;
    await ctx.executor.deviceTeardown(manageHost(node), { id: device.id, path: device.name, destroyData: false });
  },

  async finalize(trx, _ctx, op) {
    await deleteDevice(trx, String(op.payload.deviceId));
    return null;
  },

  async rollback(ctx, op) {
    const deviceId = String(op.payload.deviceId);
    if (await findDevice(ctx.db, deviceId)) await updateDevice(ctx.db, deviceId, { lifecycle: 'ready' });
  },
};
