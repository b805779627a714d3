import pino from 'pino';
import type { Knex } from 'knex';
import { placementLimits, type AppContext } from '../../src/app/context';
import { checkDatabase } from '../../src/app/db-check';
import { OPERATIONS, startDeviceAdd, startNodeAdd } from '../../src/app/operations';
import { OperationRunner } from '../../src/app/runner';
import { createCluster } from '../../src/app/clusters';
import { migrate, openDatabase, waitForDatabase } from '../../src/db/connect';
import { MockExecutor } from '../../src/executors/mock';
import type { StorageExecutor } from '../../src/executors/types';
import { testConfig } from './server';

/**
 * The application without http: a database (PGlite in memory, or a PostgreSQL url), a mock executor and
 * a runner, for tests that call operations and their phases directly.
 */
export interface AppHarness {
  ctx: AppContext;
  runner: OperationRunner;
  mock: MockExecutor;
  db: Knex;
  close(): Promise<void>;
}

export async function appHarness(
  options: { db?: string; instanceId?: string; leaseSeconds?: number; mock?: MockExecutor; executor?: StorageExecutor } = {},
): Promise<AppHarness> {
  const config = testConfig(options.db ?? 'memory://', { glusterfs: { operation_lease_seconds: options.leaseSeconds ?? 30 } });
  const database = openDatabase(config.glusterfs.db);
  // PGlite's start can take long on a loaded machine: wait for it as the server does
  await waitForDatabase(database.knex, 300_000);
  await migrate(database.knex);
  const mock = options.mock ?? new MockExecutor({ device_size_gib: 100, device_sizes: {} });
  const ctx: AppContext = {
    db: database.knex,
    executor: options.executor ?? mock,
    config,
    log: pino({ level: 'silent' }),
    instanceId: options.instanceId ?? 'server-a',
    limits: placementLimits(config),
    zoneChecking: config.glusterfs.zone_checking,
    leaseSeconds: config.glusterfs.operation_lease_seconds,
  };
  const runner = new OperationRunner(ctx, OPERATIONS);
  return { ctx, runner, mock, db: database.knex, close: () => database.knex.destroy() };
}

/** Runs a started operation to its end through the runner. */
export async function complete(h: AppHarness, started: Promise<{ opId: string }>): Promise<string> {
  const { opId } = await started;
  h.runner.submit(opId);
  await h.runner.idle();
  return opId;
}

/** A cluster of `nodes` nodes in as many zones, one device each (100 GiB on the default mock). */
export async function seedTopology(h: AppHarness, nodes = 3, prefix = 'node'): Promise<{ clusterId: string; nodeIds: string[]; deviceIds: string[] }> {
  const cluster = await createCluster(h.ctx, { file: true, block: false });
  const nodeIds: string[] = [];
  const deviceIds: string[] = [];
  for (let i = 0; i < nodes; i += 1) {
    const started = startNodeAdd(
      h.ctx,
      { clusterId: cluster.id, zone: i + 1, manageHostnames: [`${prefix}${i}.example.com`], storageHostnames: [`10.9.0.${i + 1}`], tags: {} },
      'admin',
    );
    const { nodeId } = await started;
    await complete(h, started);
    nodeIds.push(nodeId);
    const device = startDeviceAdd(h.ctx, { nodeId, name: '/dev/sdb', destroyData: false, tags: {} }, 'admin');
    await complete(h, device);
  }
  const rows = await h.db('devices').select('id').orderBy('id');
  deviceIds.push(...rows.map((r: { id: string }) => r.id));
  return { clusterId: cluster.id, nodeIds, deviceIds };
}

/** Each device's free space now (the baseline a test compares its books with). */
export async function freeByDevice(db: Knex): Promise<Map<string, number>> {
  const rows = await db('devices').select('id', 'free_kib');
  return new Map(rows.map((r: { id: string; free_kib: string | number }) => [r.id, Number(r.free_kib)]));
}

/**
 * The books an operator trusts: what each device lost since `baseline` is exactly what its bricks reserve,
 * its brick count is its brick rows, and /db/check is clean.
 */
export async function expectBooksExact(db: Knex, baseline: Map<string, number>): Promise<void> {
  const devices = await db('devices').select('id', 'free_kib', 'brick_count');
  const books = [];
  const expected = [];
  for (const d of devices) {
    const bricks = await db('bricks').where({ device_id: d.id }).select('reserved_kib');
    const reserved = bricks.reduce((sum: number, b: { reserved_kib: string | number }) => sum + Number(b.reserved_kib), 0);
    books.push({ device: d.id, taken: baseline.get(d.id)! - Number(d.free_kib), bricks: Number(d.brick_count) });
    expected.push({ device: d.id, taken: reserved, bricks: bricks.length });
  }
  expect(books).toEqual(expected);
  expect((await checkDatabase(db)).problems).toEqual([]);
}
