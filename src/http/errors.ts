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

/**
 * Why a request did not succeed, kept for the request log and the metrics: a refusal (the client's request
 * cannot be served as asked: bad input, not found, no space, busy) or a server fault.
 */
export interface RequestFailure {
  kind: ErrorKind | 'http';
  reason: string;
  fault: boolean;
}

const FAULT_KINDS = new Set<ErrorKind>(['executor', 'internal']);

export function requestFailureOf(ctx: Context): RequestFailure | undefined {
  return ctx.state.failure as RequestFailure | undefined;
}

export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      let failure: RequestFailure;
      if (err instanceof HttpError) {
        sendText(ctx, err.status, err.message);
        failure = { kind: 'http', reason: err.message, fault: err.status >= 500 && err.status !== 503 };
      } else if (err instanceof DomainError) {
        if (err.kind === 'busy') ctx.set('Retry-After', '1');
        sendText(ctx, STATUS[err.kind], err.message);
        failure = { kind: err.kind, reason: err.message, fault: FAULT_KINDS.has(err.kind) };
      } else {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        sendText(ctx, 500, (err as Error).message || 'Internal error');
        failure = { kind: 'internal', reason: (err as Error).message || 'Internal error', fault: true };
      }
      ctx.state.failure = failure;
    }
  };
}
