import type { AppContext } from '../app/context';
import type { OperationRunner } from '../app/runner';

export type AdminMode = 'normal' | 'read-only' | 'local-client';

/** What the routes are given: the application context and the operation runner. */
export interface HttpServices {
  app: AppContext;
  runner: OperationRunner;
  admin: { mode: AdminMode };
}
