import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { authMiddleware } from './auth';
import { errorMiddleware, HttpError } from './errors';
import type { Metrics } from './metrics';
import { requestLog } from './request-log';
import { sendText } from './respond';
import { checkId } from './routes/params';
import { clusterRoutes } from './routes/clusters';
import { deviceRoutes } from './routes/devices';
import { nodeRoutes } from './routes/nodes';
import { queueRoutes } from './routes/queue';
import { systemRoutes } from './routes/system';
import { volumeRoutes } from './routes/volumes';
import type { HttpServices } from './services';

const LOCAL_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Heketi's admin modes: read-only refuses changes, local-client refuses remote callers (503). */
function adminModeMiddleware(s: HttpServices): Koa.Middleware {
  return async (ctx, next) => {
    const exempt = ctx.path === '/admin' || ctx.path === '/hello' || ctx.path === '/metrics';
    if (!exempt && s.admin.mode === 'read-only' && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new HttpError(503, 'Server is in read-only mode');
    }
    if (!exempt && s.admin.mode === 'local-client' && !LOCAL_ADDRESSES.has(ctx.ip)) {
      throw new HttpError(503, 'Server is accepting requests from local clients only');
    }
    await next();
  };
}

export function createHttpApp(s: HttpServices, config: Config, metrics: Metrics, log: Logger): Koa {
  const app = new Koa();
  app.proxy = false;
  const router = new Router();
  router.param('id', checkId);
  clusterRoutes(router, s);
  nodeRoutes(router, s);
  deviceRoutes(router, s);
  volumeRoutes(router, s);
  queueRoutes(router, s);
  systemRoutes(router, s, metrics);

  app.use(requestLog(log, metrics));
  app.use(errorMiddleware(log));
  app.use(authMiddleware(config));
  app.use(adminModeMiddleware(s));
  app.use(router.routes());
  app.use(async (ctx, next) => {
    await next();
    if (ctx.status === 405) sendText(ctx, 405, 'Method Not Allowed');
  });
  app.use(router.allowedMethods());
  app.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) sendText(ctx, 404, 'Invalid path or request');
  });
  return app;
}
