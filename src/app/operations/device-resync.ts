import { z } from 'zod';
import { conflict, notFound } from '../../domain/errors';
import { pendingReservedKib } from '../../db/repositories/bricks';
import { findDevice, lockDevices, updateDevice } from '../../db/repositories/devices';
import { deviceBooks } from '../../domain/thin-pool';
import { findNode } from '../../db/repositories/nodes';
import { manageHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const DEVICE_RESYNC = 'device_resync';

const Report = z.object({
  totalKib: z.number(),
  freeKib: z.number(),
  usedKib: z.number(),
  extentKib: z.number(),
  pvUuid: z.string(),
  paths: z.array(z.string()),
  metadataSpareKib: z.number().optional(),
});

const Payload = z.object({ deviceId: z.string(), report: Report.nullable() });
type Payload = z.infer<typeof Payload>;

export const deviceResync: OperationDefinition<string, Payload> = {
  kind: DEVICE_RESYNC,
  payload: Payload,
  recovery: 'rollback',

  async build({ trx }, deviceId) {
    const device = await findDevice(trx, deviceId);
    if (!device) throw notFound();
    if (device.lifecycle !== 'ready') throw conflict(`Device ${deviceId} is busy with another operation`);
    return { kind: 'record', targetId: deviceId, payload: { deviceId, report: null } };
  },

  async exec(run) {
    const { db } = run.ctx;
    const device = await findDevice(db, run.payload.deviceId);
    const node = device && (await findNode(db, device.nodeId));
    if (!device || !node) throw notFound();
    const report = await run.executor.deviceInfo(manageHost(node), { id: device.id, path: device.name, destroyData: false });
    await run.save({ ...run.payload, report });
  },

  /**
   * The node's word replaces the recorded free space, less what bricks still being made have reserved
   * (they may not be on the disk yet), so a resync during a create never hands out the same space twice,
   * and less what remains of the metadata spare allowance.
   */
  async finalize(trx, run) {
    const { deviceId, report } = run.payload;
    const device = (await lockDevices(trx, [deviceId])).get(deviceId);
    if (!device || !report) return null;
    const pending = await pendingReservedKib(trx, deviceId);
    const changed = await updateDevice(trx, deviceId, {
      ...deviceBooks(report, pending),
      extentKib: report.extentKib,
      pvUuid: report.pvUuid || device.pvUuid,
      paths: report.paths.length > 0 ? report.paths : device.paths,
    });
    expectRows(changed, 1, 'the resynced device');
    return null;
  },

  async rollback() {
    return UNDONE; // nothing was changed before finalize
  },

  async hosts(run) {
    const device = await findDevice(run.ctx.db, run.payload.deviceId);
    const node = device && (await findNode(run.ctx.db, device.nodeId));
    return node ? [manageHost(node)] : [];
  },
};
