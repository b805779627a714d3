import Router from '@koa/router';
import {
  checkRecords,
  dumpDatabase,
  findOperationById,
  operationCounts,
  recordCleanupRequest,
  unfinishedOperations,
} from '../../app/system';
import { callerOf } from '../auth';
import { readBody } from '../body';
import type { Metrics } from '../metrics';
import { sendAccepted, sendJson } from '../respond';
import { adminStateSchema } from '../schemas';
import type { HttpServices } from '../services';
import { notFoundText } from './params';
import type { OperationRecord } from '../../domain/operation';

function presentOperation(op: OperationRecord) {
  return {
    id: op.id,
    kind: op.kind,
    state: op.state,
    phase: op.phase,
    target: op.targetId,
    error: op.error,
    cleanup_pending: op.cleanupPending,
    attempts: op.attempts,
    owner: op.owner,
    lease_expires_at: op.leaseExpiresAt,
    created_at: op.createdAt,
    finished_at: op.finishedAt,
  };
}

export function systemRoutes(r: Router, s: HttpServices, metrics: Metrics): void {

  r.get('/hello', (ctx) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = 'Hello from Heketi';
  });

  r.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.render();
  });

  r.get('/db/dump', async (ctx) => {
    const { clusters, nodes, devices, volumes, bricks, pending } = await dumpDatabase(s.app);
    const byId = <T extends { id: string }>(items: T[]) => Object.fromEntries(items.map((i) => [i.id, i]));
    sendJson(ctx, 200, {
      clusterentries: byId(clusters),
      nodeentries: byId(nodes),
      deviceentries: byId(devices),
      volumeentries: byId(volumes),
      brickentries: byId(bricks),
      pendingoperations: byId(pending.map(presentOperation)),
    });
  });

  r.get('/db/check', async (ctx) => {
    sendJson(ctx, 200, await checkRecords(s.app));
  });

  r.get('/operations', async (ctx) => {
    const c = await operationCounts(s.app);
    sendJson(ctx, 200, {
      total: c.pending + c.running + c.cleanup,
      in_flight: s.runner.inFlight,
      stale: c.stale,
      failed: c.cleanup,
      new: s.runner.queued,
    });
  });

  r.get('/operations/pending', async (ctx) => {
    const ops = await unfinishedOperations(s.app);
    sendJson(ctx, 200, { pendingoperations: ops.map(presentOperation) });
  });

  r.get('/operations/pending/:id', async (ctx) => {
    const op = await findOperationById(s.app, ctx.params.id!);
    if (!op) throw notFoundText();
    sendJson(ctx, 200, presentOperation(op));
  });

  // Takes over abandoned operations now instead of at the next scan.
  r.post('/operations/pending/cleanup', async (ctx) => {
    await s.runner.recoverAbandoned();
    const { opId } = await recordCleanupRequest(s.app, callerOf(ctx).role);
    sendAccepted(ctx, opId);
  });

  r.get('/admin', (ctx) => {
    sendJson(ctx, 200, { state: s.admin.mode });
  });

  r.post('/admin', async (ctx) => {
    const body = await readBody(ctx, adminStateSchema);
    s.admin.mode = body.state;
    ctx.status = 204;
    ctx.body = null;
  });
}
