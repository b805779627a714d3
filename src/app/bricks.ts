import type { Knex } from 'knex';
import { newId } from '../domain/ids';
import type { Brick, NodeRecord, Volume } from '../domain/model';
import type { VolumePlacement } from '../domain/placement/types';
import { deleteBricks, updateBricks } from '../db/repositories/bricks';
import type { OperationRun } from './operation-run';
import { releaseSpace } from './reservations';
import { allSettledOrThrow, brickSpec, manageHost, nodesByIds } from './volume-specs';

/** Creates bricks on their nodes, all at once (the executors pool connections per host). */
export async function createBricks(
  run: OperationRun<unknown>,
  volume: Volume,
  bricks: Brick[],
  known?: Map<string, NodeRecord>,
): Promise<void> {
  const nodes = await nodesByIds(
    run.ctx.db,
    bricks.map((b) => b.nodeId),
    known,
  );
  await allSettledOrThrow(
    bricks.map((b) => run.executor.brickCreate(manageHost(nodes.get(b.nodeId)!), brickSpec(b, volume))),
  );
}

/**
 * Deletes brick records and credits their devices with exactly what the deleted rows reserved, in the
 * caller's transaction: a brick someone else already deleted (and credited) is not credited twice.
 */
export async function removeBricks(trx: Knex.Transaction, ids: string[]): Promise<Brick[]> {
  const deleted = await deleteBricks(trx, ids);
  await releaseSpace(trx, deleted);
  return deleted;
}

/**
 * Destroys bricks on their nodes and, for each one really gone, deletes its record and gives its space
 * back in one fenced transaction. Bricks whose node failed keep their record (and their reservation), so
 * nothing is credited that the disk does not have; the error is thrown after every brick was tried.
 */
export async function destroyBricks(
  run: OperationRun<unknown>,
  volume: Volume,
  bricks: Brick[],
  known?: Map<string, NodeRecord>,
): Promise<void> {
  if (bricks.length === 0) return;
  const nodes = await nodesByIds(
    run.ctx.db,
    bricks.map((b) => b.nodeId),
    known,
  );
  await run.write((trx) => updateBricks(trx, bricks.map((b) => b.id), { state: 'deleting' }));
  const results = await Promise.allSettled(
    bricks.map((b) => run.executor.brickDestroy(manageHost(nodes.get(b.nodeId)!), brickSpec(b, volume))),
  );
  const gone = bricks.filter((_, i) => results[i]!.status === 'fulfilled');
  await run.write((trx) => removeBricks(trx, gone.map((b) => b.id)));
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
