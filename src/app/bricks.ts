import type { Knex } from 'knex';
import { newId } from '../domain/ids';
import type { Brick, Volume } from '../domain/model';
import type { VolumePlacement } from '../domain/placement/types';
import { deleteBricks, updateBricks } from '../db/repositories/bricks';
import { findNodesByIds } from '../db/repositories/nodes';
import type { AppContext } from './context';
import { releaseSpace } from './reservations';
import { allSettledOrThrow, brickSpec, manageHost } from './volume-specs';

/** Creates bricks on their nodes, all at once (the executors pool connections per host). */
export async function createBricks(ctx: AppContext, volume: Volume, bricks: Brick[]): Promise<void> {
  const nodes = await findNodesByIds(
    ctx.db,
    bricks.map((b) => b.nodeId),
  );
  await allSettledOrThrow(
    bricks.map((b) => ctx.executor.brickCreate(manageHost(nodes.get(b.nodeId)!), brickSpec(b, volume))),
  );
}

/**
 * Destroys bricks on their nodes and, for each one really gone, deletes its record and gives its space
 * back in one transaction. Bricks whose node failed keep their record (and their reservation), so nothing
 * is credited that the disk does not have; the error is thrown after every brick was tried.
 */
export async function destroyBricks(ctx: AppContext, volume: Volume, bricks: Brick[]): Promise<void> {
  if (bricks.length === 0) return;
  const nodes = await findNodesByIds(
    ctx.db,
    bricks.map((b) => b.nodeId),
  );
  await ctx.db.transaction((trx: Knex.Transaction) =>
    updateBricks(
      trx,
      bricks.map((b) => b.id),
      { state: 'deleting' },
    ),
  );
  const results = await Promise.allSettled(
    bricks.map((b) => ctx.executor.brickDestroy(manageHost(nodes.get(b.nodeId)!), brickSpec(b, volume))),
  );
  const gone = bricks.filter((_, i) => results[i]!.status === 'fulfilled');
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    await releaseSpace(
      trx,
      gone.map((b) => ({ deviceId: b.deviceId, reservedKib: b.reservedKib })),
    );
    await deleteBricks(
      trx,
      gone.map((b) => b.id),
    );
  });
  await allSettledOrThrow(results.map((r) => (r.status === 'rejected' ? Promise.reject(r.reason) : Promise.resolve())));
}

/** The brick records of a placement, pending until their operation finishes. */
export function bricksFrom(placement: VolumePlacement, volumeId: string): Brick[] {
  return placement.bricks.map((p) => ({
    id: newId(),
    volumeId,
    deviceId: p.deviceId,
    nodeId: p.nodeId,
    setIndex: p.setIndex,
    position: p.position,
    sizeKib: p.sizeKib,
    tpSizeKib: p.tpSizeKib,
    poolMetadataKib: p.poolMetadataKib,
    reservedKib: p.reservedKib,
    arbiter: p.arbiter,
    state: 'pending',
  }));
}
