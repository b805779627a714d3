import Router from '@koa/router';
import { startNodeAdd, startNodeDelete } from '../../app/operations';
import { nodeView } from '../../app/queries';
import { setNodeState } from '../../app/state';
import { changeNodeTags } from '../../app/tags';
import { callerOf } from '../auth';
import { readBody } from '../body';
import { presentNode } from '../presenters';
import { sendJson } from '../respond';
import { nodeAddSchema, stateChangeSchema, tagChangeSchema } from '../schemas';
import type { HttpServices } from '../services';
import { accept } from './operations-helper';
import { notFoundText } from './params';

export function nodeRoutes(r: Router, s: HttpServices): void {

  r.post('/nodes', async (ctx) => {
    const body = await readBody(ctx, nodeAddSchema);
    await accept(ctx, s, () =>
      startNodeAdd(
        s.app,
        {
          clusterId: body.cluster,
          zone: body.zone,
          manageHostnames: body.hostnames.manage,
          storageHostnames: body.hostnames.storage,
          tags: body.tags ?? {},
        },
        callerOf(ctx).role,
      ),
    );
  });

  r.get('/nodes/:id', async (ctx) => {
    const view = await nodeView(s.app, ctx.params.id!);
    if (!view) throw notFoundText();
    sendJson(ctx, 200, presentNode(view));
  });

  r.delete('/nodes/:id', async (ctx) => {
    await accept(ctx, s, () => startNodeDelete(s.app, ctx.params.id!, callerOf(ctx).role));
  });

  r.post('/nodes/:id/state', async (ctx) => {
    const body = await readBody(ctx, stateChangeSchema);
    await accept(ctx, s, () => setNodeState(s.app, ctx.params.id!, body.state, callerOf(ctx).role));
  });

  r.post('/nodes/:id/tags', async (ctx) => {
    const body = await readBody(ctx, tagChangeSchema);
    await changeNodeTags(s.app, ctx.params.id!, { changeType: body.change_type, tags: body.tags });
    ctx.status = 200;
    ctx.body = '';
  });
}
