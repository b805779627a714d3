import { z } from 'zod';
import { badRequest, conflict, notFound } from '../../domain/errors';
import { countBricksByDevice } from '../../db/repositories/bricks';
import { deleteDevice, findDevice, updateDevice } from '../../db/repositories/devices';
import { findNode } from '../../db/repositories/nodes';
import { findActiveOperationFor } from '../../db/repositories/operations';
import { manageHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const DEVICE_DELETE = 'device_delete';

const Payload = z.object({ deviceId: z.string() });
type Payload = z.infer<typeof Payload>;

export const deviceDelete: OperationDefinition<string, Payload> = {
  kind: DEVICE_DELETE,
  payload: Payload,
  recovery: 'finish',

  async build({ trx }, deviceId) {
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
    return { kind: 'record', targetId: deviceId, payload: { deviceId } };
  },

  async exec(run) {
    const { db } = run.ctx;
    const device = await findDevice(db, run.payload.deviceId);
    const node = device && (await findNode(db, device.nodeId));
    if (!device || !node) return;
    await run.executor.deviceTeardown(manageHost(node), { id: device.id, path: device.name, destroyData: false });
  },

  async finalize(trx, run) {
    expectRows(await deleteDevice(trx, run.payload.deviceId), 1, 'the deleted device');
    return null;
  },

  async rollback(run) {
    await run.write(async (trx) => {
      if (await findDevice(trx, run.payload.deviceId)) await updateDevice(trx, run.payload.deviceId, { lifecycle: 'ready' });
    });
    return UNDONE;
  },

  async hosts(run) {
    const device = await findDevice(run.ctx.db, run.payload.deviceId);
    const node = device && (await findNode(run.ctx.db, device.nodeId));
    return node ? [manageHost(node)] : [];
  },
};
