import { metadataSpareKib } from '../../src/domain/thin-pool';
import { buildTopology, startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 1 });
});
afterAll(async () => {
  await server.close();
});

test("metrics carry Heketi's names with their labels", async () => {
  await server.admin.volumeCreate({ size: 1 });
  const text = (await server.admin.raw('GET', '/metrics')).text;
  expect(text).toMatch(/^heketi_up 1$/m);
  expect(text).toMatch(/^heketi_cluster_count 1$/m);
  expect(text).toMatch(/^heketi_nodes_count\{cluster="[0-9a-f]{32}"\} 3$/m);
  expect(text).toMatch(/^heketi_volumes_count\{cluster="[0-9a-f]{32}"\} 1$/m);
  expect(text).toMatch(/^heketi_device_count\{cluster="[0-9a-f]{32}",hostname="node0\.example\.com"\} 1$/m);
  for (const name of ['heketi_device_size', 'heketi_device_free', 'heketi_device_used', 'heketi_device_brick_count']) {
    expect(text).toMatch(new RegExp(`^${name}\\{cluster="[0-9a-f]{32}",hostname="node\\d\\.example\\.com",device="/dev/sdb"\\} \\d+$`, 'm'));
  }
  expect(text).toMatch(/^brickyard_operations_in_flight 0$/m);
  expect(text).toMatch(/brickyard_http_request_duration_seconds_bucket/);
});

test('operations summary, pending list and db dump', async () => {
  const ops = await server.admin.operations();
  expect(ops).toEqual({ total: 0, in_flight: 0, stale: 0, failed: 0, new: 0 });
  expect((await server.admin.json('GET', '/operations/pending')).pendingoperations).toEqual([]);
  const dump = await server.admin.dbDump();
  expect(Object.keys(dump).sort()).toEqual(['brickentries', 'clusterentries', 'deviceentries', 'nodeentries', 'pendingoperations', 'volumeentries']);
  expect(Object.keys(dump.nodeentries)).toHaveLength(3);
  const cleanup = await server.admin.raw('POST', '/operations/pending/cleanup');
  expect(cleanup.status).toBe(202);
});

test('admin modes: read-only refuses changes with 503, local-client admits this (local) client', async () => {
  expect(await server.admin.json('GET', '/admin')).toEqual({ state: 'normal' });
  const set = await server.admin.raw('POST', '/admin', { state: 'read-only' });
  expect(set.status).toBe(204);
  const refused = await server.admin.raw('POST', '/clusters', {});
  expect(refused.status).toBe(503);
  expect(refused.text).toBe('Server is in read-only mode\n');
  expect((await server.admin.raw('GET', '/clusters')).status).toBe(200);
  await server.admin.raw('POST', '/admin', { state: 'local-client' });
  expect((await server.admin.raw('POST', '/clusters', {})).status).toBe(201);
  const bad = await server.admin.raw('POST', '/admin', { state: 'sleepy' });
  expect(bad.status).toBe(400);
  await server.admin.raw('POST', '/admin', { state: 'normal' });
});

test('node and device tags: set, update, delete', async () => {
  const nodeId = (await server.admin.clusterInfo((await server.admin.clusterList()).clusters[0])).nodes[0];
  await server.admin.nodeSetTags(nodeId, 'set', { rack: 'a1', row: '3' });
  await server.admin.nodeSetTags(nodeId, 'update', { rack: 'b2' });
  await server.admin.nodeSetTags(nodeId, 'delete', { row: '' });
  expect((await server.admin.nodeInfo(nodeId)).tags).toEqual({ rack: 'b2' });
  await server.admin.nodeSetTags(nodeId, 'set', {});
  expect((await server.admin.nodeInfo(nodeId)).tags).toBeUndefined();
});

test('cluster flags: file false keeps new volumes off the cluster', async () => {
  const id = (await server.admin.clusterList()).clusters[0];
  await server.admin.clusterSetFlags(id, { file: false });
  expect(await server.admin.clusterInfo(id)).toMatchObject({ file: false, block: true });
  const r = await server.admin.raw('POST', '/volumes', { size: 1 });
  expect(r.status).toBe(500);
  expect(r.text).toMatch(/^Failed to allocate new volume: /);
  await server.admin.clusterSetFlags(id, { file: true });
  expect((await server.admin.volumeCreate({ size: 1 })).size).toBe(1);
});

test('device resync reads the size the node reports', async () => {
  const nodeId = (await server.admin.clusterInfo((await server.admin.clusterList()).clusters[0])).nodes[1];
  const device = (await server.admin.nodeInfo(nodeId)).devices[0];
  // the disk grew on the node (the mock's VG gets more free extents)
  const disk = server.mock.node('node1.example.com').disks.get('/dev/sdb')!;
  disk.sizeKib += 10 * 1024 * 1024;
  disk.vg!.freeKib += 10 * 1024 * 1024;
  await server.admin.deviceResync(device.id);
  const after = await server.admin.deviceInfo(device.id);
  // the spare allowance (left out of total) grows with the device
  const allowanceGrowth = metadataSpareKib(disk.sizeKib) - metadataSpareKib(disk.sizeKib - 10 * 1024 * 1024);
  expect(after.storage.total).toBe(device.storage.total + 10 * 1024 * 1024 - allowanceGrowth);
  expect(after.storage.free).toBe(device.storage.free + 10 * 1024 * 1024 - allowanceGrowth);
  expect(after.storage.used).toBe(device.storage.used);
  expect((await server.admin.dbCheck()).problems).toEqual([]);
});
