import type { Knex } from 'knex';
import { conflict, DomainError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import type { Tags } from '../../domain/model';
import { deviceBooks } from '../../domain/thin-pool';
import { deleteDevice, findDevice, findDeviceByName, insertDevice, updateDevice } from '../../db/repositories/devices';
import { findNode } from '../../db/repositories/nodes';
import { insertOperation, updateOperation } from '../../db/repositories/operations';
import { ExecutorError, type DeviceReport } from '../../executors/types';
import type { AppContext } from '../context';
import { manageHost } from '../volume-specs';
import type { OperationHandler } from './handler';
import { isUniqueViolation } from './volume-create';
import type { Initiator } from '../../domain/operation';

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

export async function startDeviceAdd(ctx: AppContext, input: DeviceAddInput, initiator: Initiator): Promise<{ opId: string }> {
  const deviceId = newId();
  const opId = newId();
  try {
    await ctx.db.transaction(async (trx: Knex.Transaction) => {
      const node = await findNode(trx, input.nodeId, true);
      if (!node) throw new DomainError('not_found', `Node id ${input.nodeId} not found`);
      if (node.lifecycle !== 'ready') throw conflict(`Node ${input.nodeId} is busy with another operation`);
      await duplicate(trx, input);
      await insertDevice(trx, { id: deviceId, ...input });
      await insertOperation(trx, {
        id: opId,
        kind: DEVICE_ADD,
        initiator,
        targetId: deviceId,
        payload: { deviceId, setupStarted: false },
        owner: ctx.instanceId,
        leaseSeconds: ctx.leaseSeconds,
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) await duplicate(ctx.db, input);
    throw err;
  }
  return { opId };
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

async function target(ctx: AppContext, op: { payload: Record<string, unknown> }) {
  const device = await findDevice(ctx.db, String(op.payload.deviceId));
  const node = device && (await findNode(ctx.db, device.nodeId));
  return { device, node };
}

export const deviceAddHandler: OperationHandler = {
  kind: DEVICE_ADD,
  recovery: 'rollback',

  async exec(ctx, op) {
    const { device, node } = await target(ctx, op);
    if (!device || !node) throw new Error('device disappeared');
    await updateOperation(ctx.db, op.id, { payload: { ...op.payload, setupStarted: true } });
    const report = await ctx.executor.deviceSetup(manageHost(node), {
      id: device.id,
      path: device.name,
      destroyData: device.destroyData,
    });
    await updateDevice(ctx.db, device.id, sizesFrom(report));
  },

  async finalize(trx, _ctx, op) {
    await updateDevice(trx, String(op.payload.deviceId), { lifecycle: 'ready' });
    return null;
  },

  async rollback(ctx, op, cause) {
    const { device, node } = await target(ctx, op);
    if (!device) return;
    // Setup undoes its own partial work when it fails; a teardown is needed only if it may have finished
    // (crash after it ran). Teardown touches only this device's own volume group, never foreign data.
    const refusedByNode = cause instanceof ExecutorError && !cause.transient;
    const setupMayHaveFinished = Boolean(op.payload.setupStarted) && !refusedByNode;
    if (setupMayHaveFinished && node) {
      await ctx.executor.deviceTeardown(manageHost(node), { id: device.id, path: device.name, destroyData: false });
    }
    await deleteDevice(ctx.db, device.id);
  },
};
