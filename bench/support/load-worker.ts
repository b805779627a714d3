import { CountingClient, replica3 } from './counting-client';

/**
 * The clients of the concurrency benchmark, in a child process: they sign tokens, send requests and poll on
 * their own event loop, as real clients would, so the server's process does (and its CPU time counts) only
 * the server's work. Started with fork(); takes one LoadRequest message, answers one LoadResult.
 */
export interface LoadRequest {
  url: string;
  clients: number;
  sizes: number[];
  pollMs: number;
  pollMaxMs: number;
  /** Another server's admin credentials (side-by-side with Heketi); Brickyard's bench key otherwise. */
  credentials?: { user: string; key: string };
}

export interface LoadResult {
  latencies: number[];
  wallMs: number;
  rejected: number;
  polls: number;
  failed: number;
  errors: string[];
}

async function run(req: LoadRequest): Promise<LoadResult> {
  const clients = Array.from({ length: req.clients }, () => new CountingClient(req.url, req.pollMs, req.pollMaxMs, req.credentials));
  const result: LoadResult = { latencies: [], wallMs: 0, rejected: 0, polls: 0, failed: 0, errors: [] };
  let next = 0;
  const start = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < req.sizes.length) {
        const size = req.sizes[next]!;
        next += 1;
        const t = performance.now();
        try {
          await client.volumeCreate(replica3(size), { pending: () => (result.polls += 1) });
          result.latencies.push(performance.now() - t);
        } catch (err) {
          result.failed += 1;
          if (result.errors.length < 3) result.errors.push((err as Error).message);
        }
      }
    }),
  );
  result.wallMs = performance.now() - start;
  result.rejected = clients.reduce((sum, c) => sum + c.rejected, 0);
  return result;
}

if (process.send) {
  process.once('message', (request: LoadRequest) => {
    run(request).then(
      (result) => process.send!(result),
      (err: Error) => process.send!({ error: err.stack ?? err.message }),
    );
  });
}
