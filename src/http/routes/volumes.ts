import Router from '@koa/router';
import { startVolumeCreate, startVolumeDelete, startVolumeExpand } from '../../app/operations';
import { planVolume } from '../../app/operations/volume-create';
import { visibleVolumeIds, volumeView } from '../../app/queries';
import { callerOf } from '../auth';
import { readBody } from '../body';
import { presentPlacement, presentVolume } from '../presenters';
import { sendJson } from '../respond';
import { volumeCreateSchema, volumeExpandSchema, volumeInputFrom } from '../schemas';
import type { HttpServices } from '../services';
import { accept } from './operations-helper';
import { notFoundText } from './params';

export function volumeRoutes(r: Router, s: HttpServices): void {

  r.post('/volumes', async (ctx) => {
    const input = volumeInputFrom(await readBody(ctx, volumeCreateSchema));
    if (ctx.query.dry_run === 'true' || ctx.query.dry_run === '1') {
      // Brickyard: where the volume would go, reserving nothing.
      sendJson(ctx, 200, presentPlacement(await planVolume(s.app, input)));
      return;
    }
    await accept(ctx, s, () => startVolumeCreate(s.app, input, callerOf(ctx).role));
  });

  r.get('/volumes', async (ctx) => {
    sendJson(ctx, 200, { volumes: await visibleVolumeIds(s.app) });
  });

  r.get('/volumes/:id', async (ctx) => {
    const view = await volumeView(s.app, ctx.params.id!);
    if (!view) throw notFoundText();
    sendJson(ctx, 200, presentVolume(view));
  });

  r.post('/volumes/:id/expand', async (ctx) => {
    const body = await readBody(ctx, volumeExpandSchema);
    await accept(ctx, s, () => startVolumeExpand(s.app, ctx.params.id!, body.expand_size, callerOf(ctx).role));
  });

  r.delete('/volumes/:id', async (ctx) => {
    await accept(ctx, s, () => startVolumeDelete(s.app, ctx.params.id!, callerOf(ctx).role));
  });
}
