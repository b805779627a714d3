import type { Context } from 'koa';
import { sendAccepted } from '../respond';
import type { HttpServices } from '../services';

/**
 * Build an operation (its transaction has committed when `build` returns), answer 202 with its queue entry
 * and let the runner take it from there. Refused up front only when the waiting line is full.
 */
export async function accept(ctx: Context, s: HttpServices, build: () => Promise<{ opId: string }>): Promise<void> {
  s.runner.assertRoom();
  const { opId } = await build();
  s.runner.submit(opId);
  sendAccepted(ctx, opId);
}
