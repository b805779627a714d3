import type { Knex } from 'knex';
import { conflict, notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { pendingReservedKib } from '../../db/repositories/bricks';
import { findDevice, lockDevices, updateDevice } from '../../db/repositories/devices';
import { deviceBooks } from '../../domain/thin-pool';
import { findNode } from '../../db/repositories/nodes';
import { insertOperation, updateOperation } from '../../db/repositories/operations';
import type { DeviceReport } from '../../executors/types';
import type { AppContext } from '../context';
import { manageHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import type { Initiator } from '../../domain/operation';

export const DEVICE_RESYNC = 'device_resync';

export async function startDeviceResync(ctx: AppContext, deviceId: string, initiator: Initiator): Promise<{ opId: string }> {
  const device = await findDevice(ctx.db, deviceId);
  if (!device) throw notFound();
  if (device.lifecycle !== 'ready') throw conflict(`Device ${deviceId} is busy with another operation`);
  const opId = newId();
  await insertOperation(ctx.db, {
    id: opId,
    kind: DEVICE_RESYNC,
    initiator,
    targetId: deviceId,
    payload: { deviceId, report: null },
    owner: ctx.instanceId,
    leaseSeconds: ctx.leaseSeconds,
  });
  return { opId };
}

export const deviceResyncHandler: OperationHandler = {
  kind: DEVICE_RESYNC,
  recovery: 'rollback',

  async exec(ctx, op) {
    const device = await findDevice(ctx.db, String(op.payload.deviceId));
    const node = device && (await findNode(ctx.db, device.nodeId));
    if (!device || !node) throw notFound();
    const report = await ctx.executor.deviceInfo(manageHost(node), {
      id: device.id,
      path: device.name,
      destroyData: false,
    });
    op.payload.report = report;
    await updateOperation(ctx.db, op.id, { payload: op.payload });
  },

  /**
   * The node's word replaces the recorded free space, less what bricks still being made have reserved
   * (they may not be on the disk yet), so a resync during a create never hands out the same space twice,
   * and less what remains of the metadata spare allowance.
   */
  async finalize(trx: Knex.Transaction, _ctx, op) {
    const deviceId = String(op.payload.deviceId);
    const report = op.payload.report as DeviceReport;
    const device = (await lockDevices(trx, [deviceId])).get(deviceId);
    if (!device) return null;
    const pending = await pendingReservedKib(trx, deviceId);
    await updateDevice(trx, deviceId, {
      ...deviceBooks(report, pending),
      extentKib: report.extentKib,
      pvUuid: report.pvUuid || device.pvUuid,
      paths: report.paths.length > 0 ? report.paths : device.paths,
    });
    return null;
  },

  async rollback() {
    // Nothing was changed before finalize.
  },
};

