import { buildTopology, startTestServer, type TestServer } from '../support/server';

/**
 * The calls the Kubernetes glusterfs provisioner makes (StorageClass: volumetype replicate:3, gidMin/gidMax,
 * snapfactor, volumenameprefix, clusterid), in its order, with the user key (Brickyard lets `user` use
 * every volume route and poll its own queue entries).
 */
let server: TestServer;
let clusterId: string;
beforeAll(async () => {
  server = await startTestServer({ db: 'postgres' });
  ({ clusterId } = await buildTopology(server.admin, { nodes: 3, zones: 3, devicesPerNode: 2 }));
});
afterAll(async () => {
  await server.close();
});

test('provision, build endpoints, expand, delete', async () => {
  const k8s = server.user;
  const request = {
    size: 5,
    name: 'vol_default_claim1_5b2d9e2a-2c1f-4c55-9d0a-0a4b8f7e1c3d'.replace(/[^A-Za-z0-9_-]/g, '_'),
    clusters: [clusterId],
    gid: 2001,
    durability: { type: 'replicate', replicate: { replica: 3 } },
    glustervolumeoptions: ['performance.readdir-ahead off'],
    snapshot: { enable: true, factor: 1.5 },
  };
  const volume = await k8s.volumeCreate(request);
  expect(volume).toMatchObject({ name: request.name, size: 5, cluster: clusterId, gid: 2001, snapshot: { enable: true, factor: 1.5 } });
  // Thin pools are 1.5x the bricks (snapshots)
  const dump = await server.admin.dbDump('brickyard');
  for (const b of volume.bricks) {
    const record = dump.brickentries[b.id];
    expect(record.tpSizeKib).toBeGreaterThanOrEqual(Math.ceil(record.sizeKib * 1.5));
  }
  // Endpoints: the provisioner reads the cluster, then each node's first storage hostname (admin calls in
  // Kubernetes, which always sends the admin key for these)
  const cluster = await server.admin.clusterInfo(volume.cluster);
  const hosts = [];
  for (const id of cluster.nodes) hosts.push((await server.admin.nodeInfo(id)).hostnames.storage[0]);
  expect(hosts.sort()).toEqual([...volume.mount.glusterfs.hosts].sort());
  expect(server.mock.volume(request.name)!.options['performance.readdir-ahead']).toBe('off');

  // a provisioner retry after a timeout: same name and parameters -> the same volume
  expect((await k8s.volumeCreate(request)).id).toBe(volume.id);

  const info = await k8s.volumeInfo(volume.id);
  const expanded = await k8s.volumeExpand(volume.id, 3);
  expect(expanded.size).toBe(info.size + 3);

  expect(await k8s.volumeDelete(volume.id)).toBeNull();
  await expect(k8s.volumeInfo(volume.id)).rejects.toMatchObject({ status: 404 });
  expect(server.mock.volumeNames()).toEqual([]);
});
