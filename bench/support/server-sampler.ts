import knex, { type Knex } from 'knex';
import type { Container } from '../../src/container';

/**
 * Watches a running server while the load runs: the operation queue (runner), callers waiting for a database
 * connection (the knex pool) and, on PostgreSQL, backends of its database waiting for a row lock.
 */
export interface ServerSample {
  maxQueued: number;
  /** PostgreSQL only (NaN on PGlite, whose single connection queues inside PGlite). */
  meanPoolWaiters: number;
  /** PostgreSQL only (NaN on PGlite). */
  meanLockWaiters: number;
}

interface PoolLike {
  numPendingAcquires(): number;
}

export function sampleServer(container: Container, adminUrl: string): { stop(): Promise<ServerSample> } {
  const runner = container.runner;
  const pool = (container.database.knex.client as { pool?: PoolLike }).pool;
  let maxQueued = 0;
  let poolWaiters = 0;
  let poolSamples = 0;
  const local = setInterval(() => {
    maxQueued = Math.max(maxQueued, runner.queued);
    poolWaiters += pool?.numPendingAcquires() ?? 0;
    poolSamples += 1;
  }, 5);

  let lockWaiters = 0;
  let lockSamples = 0;
  let watcher: Knex | undefined;
  let remote: NodeJS.Timeout | undefined;
  let busy = false;
  if (container.database.kind === 'postgres') {
    const database = new URL(container.config.glusterfs.db).pathname.slice(1);
    watcher = knex({ client: 'pg', connection: adminUrl, pool: { min: 1, max: 1 } });
    remote = setInterval(() => {
      if (busy) return;
      busy = true;
      watcher!
        .raw(`select count(*)::int as n from pg_stat_activity where datname = ? and wait_event_type = 'Lock'`, [database])
        .then((r: { rows: Array<{ n: number }> }) => {
          lockWaiters += r.rows[0]!.n;
          lockSamples += 1;
        })
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    }, 20);
  }
  return {
    async stop() {
      clearInterval(local);
      clearInterval(remote);
      await watcher?.destroy();
      return {
        maxQueued,
        meanPoolWaiters: container.database.kind === 'postgres' ? poolWaiters / Math.max(1, poolSamples) : Number.NaN,
        meanLockWaiters: lockSamples > 0 ? lockWaiters / lockSamples : Number.NaN,
      };
    },
  };
}
