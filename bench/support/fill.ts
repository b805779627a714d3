import type { Knex } from 'knex';
import type { AppContext } from '../../src/app/context';
import { bricksFrom } from '../../src/app/bricks';
import { VOLUME_CREATE, placementRequestFor, volumeRecord } from '../../src/app/operations/volume-create';
import { loadClusterSnapshots } from '../../src/app/topology';
import { brickSpec, glusterSpecOf, manageHost } from '../../src/app/volume-specs';
import { insertBricks } from '../../src/db/repositories/bricks';
import { adjustDevicesSpace, lockDevices } from '../../src/db/repositories/devices';
import { listNodes } from '../../src/db/repositories/nodes';
import { insertOperation } from '../../src/db/repositories/operations';
import { insertVolume } from '../../src/db/repositories/volumes';
import { newId } from '../../src/domain/ids';
import { reservedByDevice, type Brick, type Volume } from '../../src/domain/model';
import { applyPlacement, placeVolume, type ClusterSnapshot } from '../../src/domain/placement';
import type { MockExecutor } from '../../src/executors/mock';
import { volumeCreateSchema, volumeInputFrom } from '../../src/http/schemas';
import { replica3 } from './server';
import type { NodeRecord } from '../../src/domain/model';

/**
 * Fills a running server with volumes without going through HTTP, leaving the state N real creates (one
 * after the other, same requests) would leave:
 *  - each request is parsed by the API's own schema and placed by the same placeVolume call planVolume makes,
 *    on a snapshot that has every earlier placement applied (what the database would hold by then);
 *  - volumes and bricks are recorded online, with one succeeded volume_create operation each, as finalize
 *    leaves them; device free/used space and brick_count move through adjustDevicesSpace under row locks;
 *  - the mock storage nodes get the same brickCreate / volumeCreate calls the create operation makes.
 * Rows are written in transactions of `batch` volumes. The caller checks the result (checkFilled).
 */
export interface FillTimes {
  placeMs: number;
  mockMs: number;
  databaseMs: number;
}

export async function fillThroughRepositories(
  ctx: AppContext,
  mock: MockExecutor,
  sizes: number[],
  batch = 500,
): Promise<FillTimes> {
  const times: FillTimes = { placeMs: 0, mockMs: 0, databaseMs: 0 };
  const nodes = new Map((await listNodes(ctx.db)).map((n) => [n.id, n] as const));
  let snapshots: ClusterSnapshot[] = await loadClusterSnapshots(ctx.db);
  for (let start = 0; start < sizes.length; start += batch) {
    const made: Array<{ volume: Volume; bricks: Brick[] }> = [];
    for (const sizeGib of sizes.slice(start, start + batch)) {
      const placeStart = performance.now();
      const input = volumeInputFrom(volumeCreateSchema.parse(replica3(sizeGib)));
      const result = placeVolume(snapshots, placementRequestFor(ctx, input), ctx.limits);
      if (!result.ok) throw new Error(`fill: no room for volume ${made.length + start + 1}: ${result.failure.message}`);
      snapshots = applyPlacement(snapshots, result.placement);
      // the same records a create leaves once it has finished
      const volume = volumeRecord(input, result.placement, 'online');
      const bricks = bricksFrom(result.placement, volume.id).map((b) => ({ ...b, state: 'online' as const }));
      made.push({ volume, bricks });
      const mockStart = performance.now();
      times.placeMs += mockStart - placeStart;
      await makeOnMockNodes(ctx, mock, nodes, volume, bricks);
      times.mockMs += performance.now() - mockStart;
      // The mock answers without I/O: give the event loop a turn so the server's timers and sockets keep up.
      await new Promise((r) => setImmediate(r));
    }
    const dbStart = performance.now();
    await ctx.db.transaction((trx: Knex.Transaction) => record(ctx, trx, made));
    times.databaseMs += performance.now() - dbStart;
  }
  return times;
}

async function makeOnMockNodes(
  ctx: AppContext,
  mock: MockExecutor,
  nodes: Map<string, NodeRecord>,
  volume: Volume,
  bricks: Brick[],
): Promise<void> {
  for (const b of bricks) await mock.brickCreate(manageHost(nodes.get(b.nodeId)!), brickSpec(b, volume));
  await mock.volumeCreate(manageHost(nodes.get(bricks[0]!.nodeId)!), glusterSpecOf(ctx, volume, bricks, nodes));
}

async function record(ctx: AppContext, trx: Knex.Transaction, made: Array<{ volume: Volume; bricks: Brick[] }>) {
  const perDevice = reservedByDevice(made.flatMap((m) => m.bricks));
  await lockDevices(trx, [...perDevice.keys()]);
  await adjustDevicesSpace(trx, [...perDevice].map(([id, d]) => ({ id, kib: d.kib, bricks: d.bricks })));
  for (const { volume } of made) await insertVolume(trx, volume);
  await insertBricks(trx, made.flatMap((m) => m.bricks));
  for (const { volume } of made) {
    await insertOperation(trx, {
      id: newId(),
      kind: VOLUME_CREATE,
      initiator: 'admin',
      targetId: volume.id,
      payload: { volumeId: volume.id },
      owner: ctx.instanceId,
      leaseSeconds: ctx.leaseSeconds,
      state: 'succeeded',
      resultPath: `/volumes/${volume.id}`,
    });
  }
}
