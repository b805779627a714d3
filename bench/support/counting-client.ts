import { HeketiClient, type RawResponse } from '../../src/client/heketi-client';

export const ADMIN_KEY = 'bench-admin-key';

/**
 * The Heketi client with its own 429 handling switched off and done here instead, so every 429 is counted
 * (the server should queue, not refuse; a real client would still retry). Retries after 50 ms, or Retry-After.
 */
export class CountingClient extends HeketiClient {
  rejected = 0;

  constructor(url: string, pollMs: number, maxPollMs?: number, credentials: { user: string; key: string } = { user: 'admin', key: ADMIN_KEY }) {
    super(url, {
      user: credentials.user,
      key: credentials.key,
      maxRetries: 0,
      timeoutMs: 600_000,
      ...(maxPollMs !== undefined && maxPollMs > pollMs
        ? { firstPollMs: pollMs, pollIntervalMs: maxPollMs }
        : { pollIntervalMs: pollMs }),
    });
  }

  override async raw(method: string, path: string, body?: unknown): Promise<RawResponse> {
    for (;;) {
      const res = await super.raw(method, path, body);
      if (res.status !== 429) return res;
      this.rejected += 1;
      const after = Number.parseFloat(res.headers.get('Retry-After') ?? '');
      await new Promise((r) => setTimeout(r, Number.isFinite(after) ? after * 1000 : 50));
    }
  }
}

/** The replica 3 create request both benchmarks send. */
export function replica3(sizeGib: number, name?: string): Record<string, unknown> {
  return { size: sizeGib, durability: { type: 'replicate', replicate: { replica: 3 } }, ...(name ? { name } : {}) };
}
