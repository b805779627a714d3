import Router from '@koa/router';
import { findOperationById } from '../../app/system';
import { callerOf } from '../auth';
import { HttpError } from '../errors';
import { sendSeeOther, sendText } from '../respond';
import type { HttpServices } from '../services';
import { notFoundText } from './params';
import { VOLUME_OPERATION_KINDS } from '../../app/operations';

/**
 * Heketi's async protocol, answered from the database: 200 + X-Pending while the operation runs, then
 * 303 to the result, 204 when there is none, or 500 with the error. Unlike Heketi, a finished entry can be
 * read again (a client that lost the answer can ask twice).
 */
export function queueRoutes(r: Router, s: HttpServices): void {

  r.get('/queue/:id', async (ctx) => {
    // an operation running here that ends within the wait is answered with its end: one poll, not several
    await s.runner.settled(ctx.params.id!, s.queueWaitMs);
    const op = await findOperationById(s.app, ctx.params.id!);
    if (!op) throw notFoundText();
    // A user may use every volume route, and a retried create is handed the entry of the identical create
    // already running, whoever started it: volume operations are readable by users.
    if (callerOf(ctx).role === 'user' && op.initiator !== 'user' && !VOLUME_OPERATION_KINDS.includes(op.kind)) {
      throw new HttpError(401, 'Administrator access required');
    }
    if (op.state === 'pending' || op.state === 'running') {
      ctx.status = 200;
      ctx.set('X-Pending', 'true');
      // Brickyard's addition, for progress displays: build, exec, finalize or rollback.
      ctx.set('X-Operation-Phase', op.phase);
      ctx.body = '';
    } else if (op.state === 'failed') {
      sendText(ctx, 500, op.error ?? 'operation failed');
    } else if (op.resultPath) {
      sendSeeOther(ctx, op.resultPath);
    } else {
      ctx.status = 204;
      ctx.body = null;
    }
  });
}
