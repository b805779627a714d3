import Router from '@koa/router';
import { startDeviceAdd, startDeviceDelete, startDeviceResync } from '../../app/operations';
import { deviceView } from '../../app/queries';
import { setDeviceState } from '../../app/state';
import { changeDeviceTags } from '../../app/tags';
import { callerOf } from '../auth';
import { readBody } from '../body';
import { presentDevice } from '../presenters';
import { sendJson } from '../respond';
import { deviceAddSchema, stateChangeSchema, tagChangeSchema } from '../schemas';
import type { HttpServices } from '../services';
import { accept } from './operations-helper';
import { notFoundText } from './params';

export function deviceRoutes(r: Router, s: HttpServices): void {

  r.post('/devices', async (ctx) => {
    const body = await readBody(ctx, deviceAddSchema);
    await accept(ctx, s, () =>
      startDeviceAdd(
        s.app,
        { nodeId: body.node, name: body.name, destroyData: body.destroydata ?? false, tags: body.tags ?? {} },
        callerOf(ctx).role,
      ),
    );
  });

  r.get('/devices/:id', async (ctx) => {
    const view = await deviceView(s.app, ctx.params.id!);
    if (!view) throw notFoundText();
    sendJson(ctx, 200, presentDevice(view));
  });

  r.delete('/devices/:id', async (ctx) => {
    await accept(ctx, s, () => startDeviceDelete(s.app, ctx.params.id!, callerOf(ctx).role));
  });

  r.post('/devices/:id/state', async (ctx) => {
    const body = await readBody(ctx, stateChangeSchema);
    await accept(ctx, s, () => setDeviceState(s.app, ctx.params.id!, body.state, callerOf(ctx).role));
  });

  r.get('/devices/:id/resync', async (ctx) => {
    await accept(ctx, s, () => startDeviceResync(s.app, ctx.params.id!, callerOf(ctx).role));
  });

  r.post('/devices/:id/tags', async (ctx) => {
    const body = await readBody(ctx, tagChangeSchema);
    await changeDeviceTags(s.app, ctx.params.id!, { changeType: body.change_type, tags: body.tags });
    ctx.status = 200;
    ctx.body = '';
  });
}
