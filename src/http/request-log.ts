import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { withLogContext } from '../log-context';
import type { Caller } from './auth';
import { requestFailureOf, type RequestFailure } from './errors';
import type { Metrics } from './metrics';

/** A request id a client or proxy sent is kept when it is short and plain; else one is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function requestId(ctx: Koa.Context): string {
  const given = ctx.get('X-Request-Id');
  return REQUEST_ID.test(given) ? given : randomBytes(8).toString('hex');
}

/** A 4xx, or a 5xx that is the client's lot (No space, busy, unavailable), without a recorded error. */
function failureFromStatus(ctx: Koa.Context): RequestFailure | undefined {
  if (ctx.status < 400) return undefined;
  const body = typeof ctx.body === 'string' ? ctx.body.trim() : '';
  return { kind: 'http', reason: body || String(ctx.status), fault: ctx.status >= 500 && ctx.status !== 503 };
}

/**
 * One line per request at info: request id, method, path, status, ms and the caller's role; a refused request
 * says why ("request refused", with the reason), a server fault is an error line. Everything logged while the
 * request is served (and by the operations it starts) carries its id; clients see it as X-Request-Id.
 */
export function requestLog(log: Logger, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const id = requestId(ctx);
    ctx.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    try {
      await withLogContext({ req: id }, next);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const failure = requestFailureOf(ctx) ?? failureFromStatus(ctx);
      metrics.observe(ctx.method, route, ctx.status, seconds, failure);
      const role = (ctx.state.caller as Caller | undefined)?.role ?? 'none';
      const line = { req: id, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(seconds * 1000), role };
      if (!failure) {
        if (ctx.path === '/metrics') log.debug(line, 'request');
        else log.info(line, 'request');
      } else if (failure.fault) {
        log.error({ ...line, kind: failure.kind, reason: failure.reason }, 'request failed');
      } else {
        log.info({ ...line, kind: failure.kind, reason: failure.reason }, 'request refused');
      }
    }
  };
}
