import type { Knex } from 'knex';
import { adjustDevicesSpace, lockDevices, lockDevicesWithNodeState } from '../db/repositories/devices';
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
  const devices = await lockDevicesWithNodeState(
    trx,
    claims.map((c) => c.deviceId),
  );
  const wanted = reservedByDevice(claims);
  for (const [deviceId, w] of wanted) {
    const device = devices.get(deviceId);
    if (!device || device.lifecycle !== 'ready' || device.state !== 'online' || device.nodeState !== 'online') {
      throw new StaleSnapshot(deviceId);
    }
    if (!(device.freeKib > w.kib)) throw new StaleSnapshot(deviceId);
  }
  await adjustDevicesSpace(trx, [...wanted].map(([id, w]) => ({ id, kib: w.kib, bricks: w.bricks })));
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
  // one entry per device: an UPDATE ... FROM applies only one joined row to each device
  const back = [...reservedByDevice(claims.filter((c) => devices.has(c.deviceId)))];
  await adjustDevicesSpace(trx, back.map(([id, b]) => ({ id, kib: -b.kib, bricks: -b.bricks })));
}
