import type { Context } from 'koa';
import { sendAccepted } from '../respond';
import type { HttpServices } from '../services';

/**
 * Build an operation (its transaction has committed when `build` returns), answer 202 with its queue entry
 * and let the runner take it from there. Refused up front only when the waiting line is full.
 */
export async function accept(ctx: Context, s: HttpServices, build: () => Promise<{ opId: string }>): Promise<void> {
  const release = s.runner.admit();
  try {
    const { opId } = await build();
    s.runner.submit(opId);
    sendAccepted(ctx, opId);
  } finally {
    // once submitted, the operation holds its place in the semaphore's own line
    release();
  }
}
