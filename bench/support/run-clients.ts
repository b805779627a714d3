import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { LoadRequest, LoadResult } from './load-worker';

/**
 * Runs one load of concurrent creates in a child process (./load-worker.ts), so the clients' CPU time never
 * counts as the server's. Rejects if the child reports an error or exits before answering.
 */
export function runClients(request: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'load-worker.js'), [], { stdio: 'inherit' });
    child.once('message', (message: LoadResult | { error: string }) => {
      if ('error' in message) reject(new Error(message.error));
      else resolve(message);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) reject(new Error(`load process exited with ${code}`));
    });
    child.send(request);
  });
}
