import type { Knex } from 'knex';
import { adjustDevicesSpace, lockDevices, lockDevicesWithNodeState } from '../db/repositories/devices';

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
  const wanted = new Map<string, { kib: number; bricks: number }>();
  for (const c of claims) {
    const w = wanted.get(c.deviceId) ?? { kib: 0, bricks: 0 };
    w.kib += c.reservedKib;
    w.bricks += 1;
    wanted.set(c.deviceId, w);
  }
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
  const back = new Map<string, { id: string; kib: number; bricks: number }>();
  for (const c of claims) {
    if (!devices.has(c.deviceId)) continue;
    const b = back.get(c.deviceId) ?? { id: c.deviceId, kib: 0, bricks: 0 };
    b.kib -= c.reservedKib;
    b.bricks -= 1;
    back.set(c.deviceId, b);
  }
  await adjustDevicesSpace(trx, [...back.values()]);
}
