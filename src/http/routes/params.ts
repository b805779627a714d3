import type { Context, Next } from 'koa';
import { ID_PATTERN } from '../../domain/ids';
import { HttpError } from '../errors';

/** An id that is not 32 hex characters is not a route Heketi knows: 404 `Invalid path or request`. */
export async function checkId(id: string, _ctx: Context, next: Next): Promise<void> {
  if (!ID_PATTERN.test(id)) throw new HttpError(404, 'Invalid path or request');
  await next();
}

export function notFoundText(): HttpError {
  return new HttpError(404, 'Id not found');
}
