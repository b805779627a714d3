import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import pino from 'pino';
import type { HeketiClient } from '../../src/client/heketi-client';
import { parseConfig } from '../../src/config/load';
import { createContainer, type Container } from '../../src/container';
import { MockExecutor } from '../../src/executors/mock';
import { ADMIN_KEY, CountingClient } from './counting-client';
import { ExecutorTimer, timedExecutor } from './executor-timer';

/**
 * A real Brickyard server for benchmarks: in this process, on a real socket, auth on, MOCK executor (no
 * storage nodes), on a scratch PostgreSQL database or a PGlite directory that is removed afterwards.
 */
export const PG_ADMIN_URL = process.env.BRICKYARD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type DbKind = 'pglite' | 'postgres';

export interface BenchServer {
  url: string;
  db: DbKind;
  container: Container;
  mock: MockExecutor;
  /** Time the server spent waiting on the (mock) executor. */
  executorTimer: ExecutorTimer;
  /**
   * A client that counts 429 answers and polls the queue every `pollMs`, or, with `maxPollMs`, first after
   * `pollMs` and then twice as long each time up to `maxPollMs` (as the CLI does).
   */
  client(pollMs: number, maxPollMs?: number): CountingClient;
  close(): Promise<void>;
}

export interface BenchServerOptions {
  db: DbKind;
  /** PGlite only: a temporary directory (as deployed) or memory://. */
  pglite?: 'dir' | 'memory';
  glusterfs?: Record<string, unknown>;
}

/** Cleanups still to run if the process is interrupted. */
const pendingCleanups = new Set<() => Promise<void>>();
let signalHandlerInstalled = false;

function onInterrupt(): void {
  if (signalHandlerInstalled) return;
  signalHandlerInstalled = true;
  process.once('SIGINT', () => {
    console.error('\ninterrupted: removing scratch databases');
    void Promise.allSettled([...pendingCleanups].map((c) => c())).then(() => process.exit(130));
  });
}

function pgUrl(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminSql(sql: string): Promise<void> {
  const admin = knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(sql);
  } finally {
    await admin.destroy();
  }
}

/** Where the data goes (a PGlite directory under `parent`), and how to remove it. */
export async function scratchDatabase(
  options: Pick<BenchServerOptions, 'db' | 'pglite'>,
  parent = tmpdir(),
): Promise<{ setting: string; remove: () => Promise<void> }> {
  if (options.db === 'postgres') {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    await adminSql(`CREATE DATABASE ${name}`);
    return { setting: pgUrl(name), remove: () => adminSql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  if (options.pglite === 'memory') return { setting: 'memory://', remove: async () => undefined };
  const dir = mkdtempSync(join(parent, 'brickyard-bench-'));
  return { setting: dir, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  onInterrupt();
  const scratch = await scratchDatabase(options);
  pendingCleanups.add(scratch.remove);
  const config = parseConfig({
    port: '0',
    bind: '127.0.0.1',
    use_auth: true,
    jwt: { admin: { key: ADMIN_KEY }, user: { key: 'bench-user-key' } },
    shutdown_grace_seconds: 30,
    // db_wait_seconds: PGlite's start (initdb in memory) can take minutes on a loaded machine.
    glusterfs: { executor: 'mock', db: scratch.setting, loglevel: 'none', db_wait_seconds: 900, ...options.glusterfs },
  });
  const mock = new MockExecutor({ ...config.glusterfs.mockexec, device_sizes: { ...config.glusterfs.mockexec.device_sizes } });
  const executorTimer = new ExecutorTimer();
  const container = await createContainer(config, {
    executor: timedExecutor(mock, executorTimer),
    log: pino({ level: 'silent' }),
  });
  const port = await container.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    db: options.db,
    container,
    mock,
    executorTimer,
    client: (pollMs, maxPollMs) => new CountingClient(url, pollMs, maxPollMs),
    async close() {
      try {
        await container.close(30_000);
      } finally {
        await scratch.remove();
        pendingCleanups.delete(scratch.remove);
      }
    },
  };
}

export interface Topology {
  clusterId: string;
  nodeIds: string[];
  deviceIds: string[];
}

/** Cluster -> nodes (zone = i % zones + 1) -> devices, through the API as an operator would. */
export async function buildTopology(
  client: HeketiClient,
  shape: { nodes: number; zones: number; devicesPerNode: number },
): Promise<Topology> {
  const cluster = await client.clusterCreate({ file: true, block: false });
  const clusterId = String(cluster.id);
  const nodeIds: string[] = [];
  const deviceIds: string[] = [];
  for (let i = 0; i < shape.nodes; i += 1) {
    const node = await client.nodeAdd({
      zone: (i % shape.zones) + 1,
      cluster: clusterId,
      hostnames: { manage: [`bench${i}.example.com`], storage: [`10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`] },
    });
    const nodeId = String(node!.id);
    nodeIds.push(nodeId);
    for (let d = 0; d < shape.devicesPerNode; d += 1) {
      await client.deviceAdd({ node: nodeId, name: `/dev/sd${String.fromCharCode(98 + d)}` });
    }
  }
  // Device add answers 204 (as Heketi's does): the ids come from the nodes.
  for (const nodeId of nodeIds) {
    for (const d of (await client.nodeInfo(nodeId)).devices as Array<{ id: string }>) deviceIds.push(d.id);
  }
  return { clusterId, nodeIds, deviceIds };
}

export { CountingClient, replica3 } from './counting-client';
