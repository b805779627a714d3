import type { AppContext } from '../app/context';
import type { OperationRunner } from '../app/runner';

export type AdminMode = 'normal' | 'read-only' | 'local-client';

/** What the routes are given: the application context and the operation runner. */
export interface HttpServices {
  app: AppContext;
  runner: OperationRunner;
  admin: { mode: AdminMode };
  /** How long a queue poll waits for an operation this server runs to end (glusterfs.queue_wait_ms). */
  queueWaitMs: number;
}
