import pino, { type Logger } from 'pino';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { createContainer, type Container } from '../../src/container';
import { MockExecutor } from '../../src/executors/mock';
import type { ClosableExecutor } from '../../src/executors/factory';
import { HeketiClient } from '../../src/client/heketi-client';
import { createTestDatabase } from './pg';

export const ADMIN_KEY = 'admin-secret-for-tests';
export const USER_KEY = 'user-secret-for-tests';

export interface TestServer {
  url: string;
  /** The database it runs on (a PostgreSQL URL, or memory:// for PGlite), for a second server on the same one. */
  db: string;
  port: number;
  container: Container;
  /** The mock executor when the server runs on it. */
  mock: MockExecutor;
  admin: HeketiClient;
  user: HeketiClient;
  close(): Promise<void>;
}

export interface TestServerOptions {
  db?: 'pglite' | 'postgres';
  auth?: boolean;
  glusterfs?: Record<string, unknown>;
  executor?: ClosableExecutor;
  extra?: Record<string, unknown>;
  /** The server's logger (silent unless given; see log-capture.ts). */
  log?: Logger;
}

export function testConfig(db: string, options: TestServerOptions = {}): Config {
  return parseConfig({
    port: '0',
    bind: '127.0.0.1',
    use_auth: options.auth ?? true,
    jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } },
    shutdown_grace_seconds: 5,
    ...options.extra,
    // PGlite may take long to start on a loaded machine: wait for it rather than fail the suite
    glusterfs: { executor: 'mock', db, loglevel: 'none', operation_lease_seconds: 30, db_wait_seconds: 180, ...options.glusterfs },
  });
}

/** A real server on a real socket (port chosen by the kernel), on PGlite in memory or a fresh PostgreSQL db. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const pg = options.db === 'postgres' ? await createTestDatabase() : undefined;
  const config = testConfig(pg?.url ?? 'memory://', options);
  const executor =
    options.executor ?? new MockExecutor({ device_size_gib: config.glusterfs.mockexec.device_size_gib, device_sizes: {} });
  const container = await createContainer(config, { executor, log: options.log ?? pino({ level: 'silent' }) });
  const port = await container.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    db: config.glusterfs.db,
    port,
    container,
    mock: executor as MockExecutor,
    admin: new HeketiClient(url, { user: 'admin', key: ADMIN_KEY, pollIntervalMs: 20 }),
    user: new HeketiClient(url, { user: 'user', key: USER_KEY, pollIntervalMs: 20 }),
    async close() {
      await container.close(5000);
      await pg?.drop();
    },
  };
}

/** Builds clusters -> nodes (zone i % zones + 1) -> devices through the API, as an operator would. */
export async function buildTopology(
  client: HeketiClient,
  shape: { nodes: number; zones: number; devicesPerNode: number; hostPrefix?: string },
): Promise<{ clusterId: string; nodeIds: string[]; deviceIds: string[] }> {
  const cluster = await client.clusterCreate();
  const nodeIds: string[] = [];
  const deviceIds: string[] = [];
  const prefix = shape.hostPrefix ?? 'node';
  for (let i = 0; i < shape.nodes; i += 1) {
    const node = await client.nodeAdd({
      zone: (i % shape.zones) + 1,
      cluster: cluster.id as string,
      hostnames: { manage: [`${prefix}${i}.example.com`], storage: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`] },
    });
    nodeIds.push(node!.id as string);
    for (let d = 0; d < shape.devicesPerNode; d += 1) {
      await client.deviceAdd({ node: node!.id as string, name: `/dev/sd${String.fromCharCode(98 + d)}` });
    }
  }
  for (const nodeId of nodeIds) {
    const info = await client.nodeInfo(nodeId);
    for (const d of info.devices as Array<{ id: string }>) deviceIds.push(d.id);
  }
  return { clusterId: cluster.id as string, nodeIds, deviceIds };
}
