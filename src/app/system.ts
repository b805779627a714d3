import type { Brick, Cluster, DeviceRecord, NodeRecord, Volume } from '../domain/model';
import type { Initiator, OperationRecord } from '../domain/operation';
import { listAllBricks } from '../db/repositories/bricks';
import { listClusters } from '../db/repositories/clusters';
import { listDevices } from '../db/repositories/devices';
import { listNodes } from '../db/repositories/nodes';
import { countOperations, findOperation, listOperations } from '../db/repositories/operations';
import { listVolumes } from '../db/repositories/volumes';
import type { AppContext } from './context';
import { checkDatabase, type DbCheckReport } from './db-check';
import { recordFinished } from './finished-operation';

/** The operator's views of the queue and the database (Heketi's /operations, /db/dump, /db/check). */

export async function findOperationById({ db }: AppContext, id: string): Promise<OperationRecord | undefined> {
  return findOperation(db, id);
}

export interface OperationCounts {
  pending: number;
  running: number;
  stale: number;
  cleanup: number;
}

export async function operationCounts({ db }: AppContext): Promise<OperationCounts> {
  const c = await countOperations(db);
  return { pending: c.pending, running: c.running, stale: c.stale, cleanup: c.cleanup };
}

/** Operations still working: pending or running, then failed ones whose cleanup is not done. */
export async function unfinishedOperations({ db }: AppContext): Promise<OperationRecord[]> {
  const ops = await listOperations(db, { states: ['pending', 'running'] });
  const cleanup = (await listOperations(db, { states: ['failed'] })).filter((o) => o.cleanupPending);
  return [...ops, ...cleanup];
}

export interface DatabaseDump {
  clusters: Cluster[];
  nodes: NodeRecord[];
  devices: DeviceRecord[];
  volumes: Volume[];
  bricks: Brick[];
  pending: OperationRecord[];
}

export async function dumpDatabase({ db }: AppContext): Promise<DatabaseDump> {
  const [clusters, nodes, devices, volumes, bricks, pending] = await Promise.all([
    listClusters(db),
    listNodes(db),
    listDevices(db),
    listVolumes(db),
    listAllBricks(db),
    listOperations(db, { states: ['pending', 'running'] }),
  ]);
  return { clusters, nodes, devices, volumes, bricks, pending };
}

export async function checkRecords(app: AppContext): Promise<DbCheckReport> {
  return checkDatabase(app.db);
}

/** A cleanup request answers 202 like Heketi's; the work (taking over abandoned operations) is done by then. */
export async function recordCleanupRequest(app: AppContext, initiator: Initiator): Promise<{ opId: string }> {
  return recordFinished(app, app.db, 'cleanup', initiator, null);
}
