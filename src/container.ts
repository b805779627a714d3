import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Config } from './config/schema';
import { placementLimits, type AppContext } from './app/context';
import { OPERATIONS } from './app/operations';
import { OperationRunner } from './app/runner';
import { embeddedDataDir, isPostgresUrl, migrate, openDatabase, waitForDatabase, type Database } from './db/connect';
import { lockDataDir, type DataDirLock } from './db/data-dir-lock';
import { CHECKPOINT_INTERVAL_MS, scheduleCheckpoints } from './db/pglite';
import { MockNodeStore } from './db/mock-node-store';
import { createExecutor, type ClosableExecutor } from './executors/factory';
import { createHttpApp } from './http/app';
import { createMetrics } from './http/metrics';
import type { HttpServices } from './http/services';
import { createLogger } from './logger';
import { loadTlsFiles } from './tls-files';
import { createOperationObserver } from './observability/operation-observer';
import { loggingExecutor } from './executors/logging-executor';
import { Registry } from 'prom-client';


export interface Container {
  config: Config;
  database: Database;
  executor: ClosableExecutor;
  app: AppContext;
  runner: OperationRunner;
  services: HttpServices;
  log: Logger;
  /** Listens on the configured port (or `port`); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** SIGTERM path: stop listening, let operations finish (grace), close the executor and the database. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The queue poll's wait. On PostgreSQL a poll otherwise finds a short operation still running several times
 * (each poll a request and a query). The embedded database runs every statement on one connection in arrival
 * order, so an operation's statements are ahead of the poll's read anyway; holding the poll there only sends
 * its read to the back of the line.
 */
export function queueWaitMs(config: Config): number {
  return config.glusterfs.queue_wait_ms ?? (isPostgresUrl(config.glusterfs.db) ? 250 : 0);
}

/** The composition root: config in, a running-ready service out. Migrates the database. */
export async function createContainer(
  config: Config,
  overrides: { executor?: ClosableExecutor; log?: Logger } = {},
): Promise<Container> {
  const log = overrides.log ?? createLogger(config.glusterfs.loglevel);
  const tls = loadTlsFiles(config);
  // the lock first: not even opening another server's embedded database
  const dataDir = embeddedDataDir(config.glusterfs.db);
  const dataDirLock: DataDirLock | undefined = dataDir ? lockDataDir(dataDir) : undefined;
  const database = openDatabase(config.glusterfs.db);
  try {
    await database.ready();
    const waitSeconds = config.glusterfs.db_wait_seconds;
    await waitForDatabase(
      database.knex,
      waitSeconds * 1000,
      (reason, attempt) =>
        log.warn({ db: database.description, attempt, reason }, `database ${database.description} not answering (try ${attempt}, waiting up to ${waitSeconds} s): ${reason}`),
      database.description,
    );
    await migrate(database.knex);
  } catch (err) {
    dataDirLock?.release();
    await database.knex.destroy().catch(() => undefined);
    throw err;
  }
  const stopCheckpoints =
    database.kind === 'pglite'
      ? scheduleCheckpoints(database.knex, CHECKPOINT_INTERVAL_MS, (err) =>
          log.warn({ err }, `embedded database checkpoint failed: ${(err as Error).message}`),
        )
      : undefined;
  // Every executor step at debug level (operation id, host, step, ms), whichever executor runs.
  const executor = loggingExecutor(overrides.executor ?? (await createExecutor(config, log, new MockNodeStore(database.knex))), log);
  const app: AppContext = {
    db: database.knex,
    executor,
    config,
    log,
    instanceId: `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
    limits: placementLimits(config),
    zoneChecking: config.glusterfs.zone_checking,
    leaseSeconds: config.glusterfs.operation_lease_seconds,
  };
  const registry = new Registry();
  const runner = new OperationRunner(app, OPERATIONS, createOperationObserver(log, registry));
  const services: HttpServices = { app, runner, admin: { mode: 'normal' }, queueWaitMs: queueWaitMs(config) };
  const metrics = createMetrics(app, runner, registry);
  const koa = createHttpApp(services, config, metrics, log);
  let server: Server | undefined;

  return {
    config,
    database,
    executor,
    app,
    runner,
    services,
    log,
    async listen(port = Number(config.port), host = config.bind) {
      runner.start();
      server = tls ? createHttpsServer(tls, koa.callback()) : createHttpServer(koa.callback());
      server.listen(port, host);
      await new Promise<void>((resolve, reject) => {
        server!.once('listening', resolve);
        server!.once('error', reject);
      });
      const address = server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close(graceMs = config.shutdown_grace_seconds * 1000) {
      const closing = server ? new Promise<void>((r) => server!.close(() => r())) : Promise.resolve();
      server?.closeIdleConnections?.();
      const finished = await runner.stop(graceMs);
      if (!finished) log.warn('operations still running at shutdown; they stay recorded and will be recovered');
      server?.closeAllConnections?.();
      await closing;
      await executor.close?.();
      stopCheckpoints?.();
      await database.knex.destroy();
      dataDirLock?.release();
    },
  };
}
