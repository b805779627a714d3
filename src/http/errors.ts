import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { DomainError, type ErrorKind } from '../domain/errors';
import { sendText } from './respond';

/** An HTTP-only failure (auth, routing, parsing) with its exact status and text. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  no_space: 500,
  busy: 429,
  unavailable: 503,
  executor: 500,
  internal: 500,
};

export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        sendText(ctx, err.status, err.message);
      } else if (err instanceof DomainError) {
        if (err.kind === 'busy') ctx.set('Retry-After', '1');
        sendText(ctx, STATUS[err.kind], err.message);
      } else {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        sendText(ctx, 500, (err as Error).message || 'Internal error');
      }
    }
  };
}
