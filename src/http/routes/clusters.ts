import Router from '@koa/router';
import { createCluster, removeCluster, setClusterFlags } from '../../app/clusters';
import { clusterView } from '../../app/queries';
import { listClusterIds, findCluster } from '../../db/repositories/clusters';
import { readBody } from '../body';
import { presentCapacity, presentCluster } from '../presenters';
import { clusterCapacity } from '../../domain/placement';
import { loadClusterSnapshots } from '../../app/topology';
import { sendJson } from '../respond';
import { clusterCreateSchema, clusterFlagsSchema } from '../schemas';
import type { HttpServices } from '../services';
import { notFoundText } from './params';

export function clusterRoutes(r: Router, s: HttpServices): void {

  r.post('/clusters', async (ctx) => {
    const body = await readBody(ctx, clusterCreateSchema, true);
    const cluster = await createCluster(s.app, { file: body.file ?? true, block: body.block ?? true });
    sendJson(ctx, 201, presentCluster({ cluster, nodeIds: [], volumeIds: [] }));
  });

  r.get('/clusters', async (ctx) => {
    sendJson(ctx, 200, { clusters: await listClusterIds(s.app.db) });
  });

  r.get('/clusters/:id', async (ctx) => {
    const view = await clusterView(s.app.db, ctx.params.id!);
    if (!view) throw notFoundText();
    sendJson(ctx, 200, presentCluster(view));
  });

  r.post('/clusters/:id/flags', async (ctx) => {
    const body = await readBody(ctx, clusterFlagsSchema);
    const current = await findCluster(s.app.db, ctx.params.id!);
    if (!current) throw notFoundText();
    await setClusterFlags(s.app, current.id, { file: body.file ?? current.file, block: body.block ?? current.block });
    ctx.status = 200;
    ctx.body = '';
  });

  // Brickyard: free space per zone and the largest volume creatable now.
  r.get('/clusters/:id/capacity', async (ctx) => {
    const [snapshot] = await loadClusterSnapshots(s.app.db, [ctx.params.id!]);
    if (!snapshot) throw notFoundText();
    sendJson(ctx, 200, presentCapacity(clusterCapacity(snapshot, s.app.limits, s.app.zoneChecking)));
  });

  r.delete('/clusters/:id', async (ctx) => {
    await removeCluster(s.app, ctx.params.id!);
    ctx.status = 200;
    ctx.body = '';
  });
}
