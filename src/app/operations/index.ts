import type { Initiator } from '../../domain/operation';
import type { AppContext } from '../context';
import { beginOperation } from '../runner';
import { deviceAdd, type DeviceAddInput } from './device-add';
import { deviceDelete } from './device-delete';
import { deviceResync } from './device-resync';
import { evict, type EvictInput } from './evict';
import { nodeAdd, type NodeAddInput } from './node-add';
import { nodeDelete } from './node-delete';
import type { AnyOperation } from './operation';
import { volumeCreate, VOLUME_CREATE } from './volume-create';
import { volumeDelete, VOLUME_DELETE } from './volume-delete';
import { volumeExpand, VOLUME_EXPAND } from './volume-expand';
import type { VolumeCreateInput } from '../volume-input';

/** Every operation the runner can drive (and recover), by kind. */
export const OPERATIONS: AnyOperation[] = [
  volumeCreate,
  volumeExpand,
  volumeDelete,
  nodeAdd,
  nodeDelete,
  deviceAdd,
  deviceDelete,
  deviceResync,
  evict,
];

/** Operations on volumes: a user token may read their queue entries, whoever started them. */
export const VOLUME_OPERATION_KINDS: readonly string[] = [VOLUME_CREATE, VOLUME_EXPAND, VOLUME_DELETE];

type Started = Promise<{ opId: string }>;

export const startVolumeCreate = (ctx: AppContext, input: VolumeCreateInput, by: Initiator): Started =>
  beginOperation(ctx, volumeCreate, input, by);
export const startVolumeExpand = (ctx: AppContext, volumeId: string, expandGib: number, by: Initiator): Started =>
  beginOperation(ctx, volumeExpand, { volumeId, expandGib }, by);
export const startVolumeDelete = (ctx: AppContext, volumeId: string, by: Initiator): Started =>
  beginOperation(ctx, volumeDelete, volumeId, by);
export const startNodeAdd = async (ctx: AppContext, input: NodeAddInput, by: Initiator) => {
  const { opId, targetId } = await beginOperation(ctx, nodeAdd, input, by);
  return { opId, nodeId: targetId! };
};
export const startNodeDelete = (ctx: AppContext, nodeId: string, by: Initiator): Started =>
  beginOperation(ctx, nodeDelete, nodeId, by);
export const startDeviceAdd = (ctx: AppContext, input: DeviceAddInput, by: Initiator): Started =>
  beginOperation(ctx, deviceAdd, input, by);
export const startDeviceDelete = (ctx: AppContext, deviceId: string, by: Initiator): Started =>
  beginOperation(ctx, deviceDelete, deviceId, by);
export const startDeviceResync = (ctx: AppContext, deviceId: string, by: Initiator): Started =>
  beginOperation(ctx, deviceResync, deviceId, by);
export const startEviction = (ctx: AppContext, target: EvictInput, by: Initiator): Started =>
  beginOperation(ctx, evict, target, by);
