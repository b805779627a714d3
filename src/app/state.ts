import type { Knex } from 'knex';
import { conflict, notFound } from '../domain/errors';
import type { DeviceState, NodeState } from '../domain/model';
import { findDevice, updateDevice } from '../db/repositories/devices';
import { findNode, updateNode } from '../db/repositories/nodes';
import { findActiveOperationFor } from '../db/repositories/operations';
import type { AppContext } from './context';
import { recordFinished } from './finished-operation';
import { startEviction } from './operations';
import type { Initiator } from '../domain/operation';

/**
 * online/offline only change what placement may use; failed moves every brick away first (eviction).
 * Both answer through the queue, as Heketi's clients expect.
 */
export async function setNodeState(ctx: AppContext, nodeId: string, state: NodeState, initiator: Initiator) {
  if (state === 'failed') return startEviction(ctx, { kind: 'node', id: nodeId }, initiator);
  return ctx.db.transaction(async (trx: Knex.Transaction) => {
    const node = await findNode(trx, nodeId, true);
    if (!node) throw notFound();
    if (await findActiveOperationFor(trx, nodeId)) throw conflict(`Node ${nodeId} is busy with another operation`);
    await updateNode(trx, nodeId, { state });
    return recordFinished(ctx, trx, 'node_state', initiator, nodeId);
  });
}

export async function setDeviceState(ctx: AppContext, deviceId: string, state: DeviceState, initiator: Initiator) {
  if (state === 'failed') return startEviction(ctx, { kind: 'device', id: deviceId }, initiator);
  return ctx.db.transaction(async (trx: Knex.Transaction) => {
    const device = await findDevice(trx, deviceId, true);
    if (!device) throw notFound();
    if (await findActiveOperationFor(trx, deviceId)) throw conflict(`Device ${deviceId} is busy with another operation`);
    await updateDevice(trx, deviceId, { state });
    return recordFinished(ctx, trx, 'device_state', initiator, deviceId);
  });
}
