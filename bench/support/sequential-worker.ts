import { CountingClient, replica3 } from './counting-client';

/**
 * One client in a child process doing sequential creates or deletes on request, so that the server's process
 * (the benchmark's) spends CPU only on serving them. Takes SequentialRequest messages, answers each with a
 * SequentialResult; exits when its parent disconnects.
 */
export type SequentialRequest =
  | { kind: 'create'; url: string; pollMs: number; sizes: number[] }
  | { kind: 'delete'; url: string; pollMs: number; ids: string[] };

export interface SequentialResult {
  ids: string[];
  latencies: number[];
  polls: number;
  /** HTTP requests sent (POST or DELETE, queue polls, the result's GET). */
  requests: number;
  error?: string;
}

class RequestCountingClient extends CountingClient {
  requests = 0;
  override raw(...args: Parameters<CountingClient['raw']>) {
    this.requests += 1;
    return super.raw(...args);
  }
}

async function run(req: SequentialRequest): Promise<SequentialResult> {
  const client = new RequestCountingClient(req.url, req.pollMs);
  const result: SequentialResult = { ids: [], latencies: [], polls: 0, requests: 0 };
  const watch = { pending: () => (result.polls += 1) };
  if (req.kind === 'create') {
    for (const size of req.sizes) {
      const t = performance.now();
      const volume = await client.volumeCreate(replica3(size), watch);
      result.latencies.push(performance.now() - t);
      result.ids.push(String(volume.id));
    }
  } else {
    for (const id of req.ids) {
      const t = performance.now();
      await client.volumeDelete(id, watch);
      result.latencies.push(performance.now() - t);
    }
  }
  result.requests = client.requests;
  return result;
}

if (process.send) {
  process.on('message', (request: SequentialRequest) => {
    run(request).then(
      (result) => process.send!(result),
      (err: Error) => process.send!({ ids: [], latencies: [], polls: 0, requests: 0, error: err.stack ?? err.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
