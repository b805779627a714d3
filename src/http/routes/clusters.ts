import Router from '@koa/router';
import { createCluster, removeCluster, setClusterFlags } from '../../app/clusters';
import { clusterCapacityView, clusterIds, clusterView, findClusterById } from '../../app/queries';
import { readBody } from '../body';
import { presentCapacity, presentCluster } from '../presenters';
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
    sendJson(ctx, 200, { clusters: await clusterIds(s.app) });
  });

  r.get('/clusters/:id', async (ctx) => {
    const view = await clusterView(s.app, ctx.params.id!);
    if (!view) throw notFoundText();
    sendJson(ctx, 200, presentCluster(view));
  });

  r.post('/clusters/:id/flags', async (ctx) => {
    const body = await readBody(ctx, clusterFlagsSchema);
    const current = await findClusterById(s.app, ctx.params.id!);
    if (!current) throw notFoundText();
    await setClusterFlags(s.app, current.id, { file: body.file ?? current.file, block: body.block ?? current.block });
    ctx.status = 200;
    ctx.body = '';
  });

  // Brickyard: free space per zone and the largest volume creatable now.
  r.get('/clusters/:id/capacity', async (ctx) => {
    const capacity = await clusterCapacityView(s.app, ctx.params.id!);
    if (!capacity) throw notFoundText();
    sendJson(ctx, 200, presentCapacity(capacity));
  });

  r.delete('/clusters/:id', async (ctx) => {
    await removeCluster(s.app, ctx.params.id!);
    ctx.status = 200;
    ctx.body = '';
  });
}
