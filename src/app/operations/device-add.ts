import { z } from 'zod';
import type { Knex } from 'knex';
import { conflict, DomainError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Tags } from '../../domain/model';
import { deviceBooks } from '../../domain/thin-pool';
import { deleteDevice, findDevice, findDeviceByName, insertDevice, updateDevice } from '../../db/repositories/devices';
import { findNode } from '../../db/repositories/nodes';
import { ExecutorError, type DeviceReport } from '../../executors/types';
import { manageHost } from '../volume-specs';
import { expectRows, UNDONE, type OperationDefinition } from './operation';

export const DEVICE_ADD = 'device_add';

export interface DeviceAddInput {
  nodeId: string;
  name: string;
  destroyData: boolean;
  tags: Tags;
}

async function duplicate(db: Knex, input: DeviceAddInput): Promise<void> {
  const existing = await findDeviceByName(db, input.nodeId, input.name);
  if (existing) throw conflict(`Device ${input.name} already used by device with id ${existing.id} on node ${input.nodeId}`);
}

/** A new device's books: what the node reports, the metadata spare LVM will keep left out (deviceBooks). */
export function sizesFrom(report: DeviceReport) {
  return {
    ...deviceBooks(report),
    extentKib: report.extentKib,
    pvUuid: report.pvUuid,
    paths: report.paths,
  };
}

const Payload = z.object({
  deviceId: z.string(),
  /** Recorded before the node is asked: an undo after a crash must then tear the device down. */
  setupStarted: z.boolean(),
});
type Payload = z.infer<typeof Payload>;

async function target(db: Knex, payload: Payload) {
  const device = await findDevice(db, payload.deviceId);
  const node = device && (await findNode(db, device.nodeId));
  return { device, node };
}

export const deviceAdd: OperationDefinition<DeviceAddInput, Payload> = {
  kind: DEVICE_ADD,
  payload: Payload,
  recovery: 'rollback',

  async build({ trx }, input) {
    const node = await findNode(trx, input.nodeId, true);
    if (!node) throw new DomainError('not_found', `Node id ${input.nodeId} not found`);
    if (node.lifecycle !== 'ready') throw conflict(`Node ${input.nodeId} is busy with another operation`);
    await duplicate(trx, input);
    const deviceId = newId();
    await insertDevice(trx, { id: deviceId, ...input });
    return { kind: 'record', targetId: deviceId, payload: { deviceId, setupStarted: false } };
  },

  async exec(run) {
    const { device, node } = await target(run.ctx.db, run.payload);
    if (!device || !node) throw new Error('device disappeared');
    await run.save({ ...run.payload, setupStarted: true });
    const report = await run.executor.deviceSetup(manageHost(node), { id: device.id, path: device.name, destroyData: device.destroyData });
    await run.write(async (trx) => expectRows(await updateDevice(trx, device.id, sizesFrom(report)), 1, 'the new device'));
  },

  async finalize(trx, run) {
    expectRows(await updateDevice(trx, run.payload.deviceId, { lifecycle: 'ready' }), 1, 'the new device');
    return null;
  },

  async rollback(run, cause) {
    const { device, node } = await target(run.ctx.db, run.payload);
    if (!device) return UNDONE;
    // Setup undoes its own partial work when it fails; a teardown is needed only if it may have finished
    // (crash after it ran). Teardown touches only this device's own volume group, never foreign data.
    const refusedByNode = cause instanceof ExecutorError && !cause.transient;
    if (run.payload.setupStarted && !refusedByNode && node) {
      await run.executor.deviceTeardown(manageHost(node), { id: device.id, path: device.name, destroyData: false });
    }
    await run.write((trx) => deleteDevice(trx, device.id));
    return UNDONE;
  },

  async hosts(run) {
    const { node } = await target(run.ctx.db, run.payload);
    return node ? [manageHost(node)] : [];
  },
};
