import type { Knex } from 'knex';
import { adjustDeviceSpace, lockDevices } from '../db/repositories/devices';
import { findNodesByIds } from '../db/repositories/nodes';
import { reservedByDevice } from '../domain/model';

export interface SpaceClaim {
  deviceId: string;
  reservedKib: number;
}

/** Placement was made from a snapshot that a concurrent request has since changed: place again. */
export class StaleSnapshot extends Error {
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} changed while placing`);
  }
}

/**
 * Re-checks, under row locks, that every device can still take what placement gave it, then takes it.
 * Concurrent requests serialise on the device rows they share, so no device is ever over-committed.
 */
export async function reserveSpace(trx: Knex.Transaction, claims: SpaceClaim[]): Promise<void> {
  const devices = await lockDevices(
    trx,
    claims.map((c) => c.deviceId),
  );
  const nodes = await findNodesByIds(
    trx,
    [...devices.values()].map((d) => d.nodeId),
  );
  const wanted = reservedByDevice(claims);
  for (const [deviceId, w] of wanted) {
    const device = devices.get(deviceId);
    const node = device && nodes.get(device.nodeId);
    if (!device || !node || device.lifecycle !== 'ready' || device.state !== 'online' || node.state !== 'online') {
      throw new StaleSnapshot(deviceId);
    }
    if (!(device.freeKib > w.kib)) throw new StaleSnapshot(deviceId);
  }
  for (const [deviceId, w] of wanted) await adjustDeviceSpace(trx, deviceId, w.kib, w.bricks);
}

/**
 * Gives space back. Only for rows the caller deleted in this same transaction (see removeBricks): crediting
 * from a list held in memory would credit twice a brick another server already removed.
 */
export async function releaseSpace(trx: Knex.Transaction, claims: SpaceClaim[]): Promise<void> {
  if (claims.length === 0) return;
  const devices = await lockDevices(
    trx,
    claims.map((c) => c.deviceId),
  );
  for (const c of claims) {
    if (devices.has(c.deviceId)) await adjustDeviceSpace(trx, c.deviceId, -c.reservedKib, -1);
  }
}
