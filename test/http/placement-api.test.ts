import { startTestServer, type TestServer } from '../support/server';

/**
 * Placement as clients see it: the dry run reserves nothing and predicts the real create exactly; capacity
 * answers what a real create then achieves; errors explain themselves; per-volume zone checking, tags and
 * arbiter options reach the allocator.
 */
let server: TestServer;
afterEach(async () => {
  await server.close();
});

/** zones: list of per-zone node device sizes (GiB); each node one device. */
async function topology(zones: number[][]) {
  server = await startTestServer();
  const c = server.admin;
  const cluster = await c.clusterCreate();
  const nodes: Array<{ id: string; zone: number }> = [];
  let n = 0;
  for (const [zi, sizes] of zones.entries()) {
    for (const size of sizes) {
      n += 1;
      server.mock.setDeviceSize(`h${n}`, size);
      const node = await c.nodeAdd({ zone: zi + 1, cluster: cluster.id, hostnames: { manage: [`h${n}`], storage: [`10.0.0.${n}`] } });
      await c.deviceAdd({ node: node!.id, name: '/dev/sdb' });
      nodes.push({ id: node!.id, zone: zi + 1 });
    }
  }
  return { clusterId: cluster.id as string, nodes };
}

test('the dry run reserves nothing and the real create lands exactly where it said', async () => {
  const { clusterId } = await topology([[100, 200], [150, 100], [300, 120]]);
  const request = { size: 30, durability: { type: 'replicate', replicate: { replica: 3 } } };
  const before = await server.admin.dbDump();
  const plan = await server.admin.volumePlan(request);
  expect(await server.admin.dbDump()).toEqual(before);
  expect(plan.cluster).toBe(clusterId);
  expect(plan.sets).toHaveLength(1);
  expect(new Set(plan.sets[0].map((b: { zone: number }) => b.zone)).size).toBe(3);
  const volume = await server.admin.volumeCreate(request);
  expect(volume.bricks.map((b: { device: string }) => b.device)).toEqual(plan.sets.flat().map((b: { device: string }) => b.device));
});

test('capacity answers what a real create then achieves', async () => {
  const { clusterId } = await topology([[100, 40], [150], [60, 60]]);
  const capacity = await server.admin.clusterCapacity(clusterId);
  expect(capacity.zones.map((z: { zone: number }) => z.zone)).toEqual([1, 2, 3]);
  const largest = capacity.largest_volume_gib['replicate:3'] as number;
  expect(largest).toBeGreaterThan(50);
  const tooBig = await server.admin.raw('POST', '/volumes', { size: largest + 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(tooBig.status).toBe(500);
  expect(tooBig.text).toMatch(/^Failed to allocate new volume: No space/);
  const made = await server.admin.volumeCreate({ size: largest, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(made.size).toBe(largest);
  const after = await server.admin.clusterCapacity(clusterId);
  expect(after.largest_volume_gib['replicate:3']).toBeLessThan(largest);
});

test('strict zone checking names the rule and the zones; best-effort per volume spreads as far as it can', async () => {
  const { nodes } = await topology([[100, 100], [100]]);
  const strict = await server.admin.raw('POST', '/volumes', { size: 5, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(strict.status).toBe(500);
  expect(strict.text).toMatch(/No space/);
  expect(strict.text).toMatch(/replica 3 needs 3 nodes in 3 different zones/);
  expect(strict.text).toMatch(/zones? 1, 2/);
  const relaxed = await server.admin.volumeCreate({
    size: 5,
    durability: { type: 'replicate', replicate: { replica: 3 } },
    glustervolumeoptions: ['user.heketi.zone-checking best-effort'],
  });
  const used = relaxed.bricks.map((b: { node: string }) => b.node);
  expect(new Set(used).size).toBe(3); // nodes always distinct
  expect(new Set(used.map((id: string) => nodes.find((n) => n.id === id)!.zone)).size).toBe(2);
  expect(server.mock.volume(relaxed.name)!.options['user.heketi.zone-checking']).toBe('best-effort');
});

test('no space explains per zone, and allocates nothing', async () => {
  await topology([[10], [10], [10]]);
  const before = await server.admin.dbDump();
  const r = await server.admin.raw('POST', '/volumes', { size: 20, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(r.status).toBe(500);
  expect(r.text).toMatch(/^Failed to allocate new volume: No space/);
  expect(r.text).toMatch(/zone 1: .*free, largest device .*free/);
  expect(r.text).toMatch(/zone 3:/);
  expect(await server.admin.dbDump()).toEqual(before);
});

test('offline devices and nodes are never used', async () => {
  const { nodes } = await topology([[100, 100], [100, 100], [100, 100]]);
  await server.admin.nodeState(nodes[0]!.id, 'offline');
  const dev = (await server.admin.nodeInfo(nodes[2]!.id)).devices[0].id;
  await server.admin.deviceState(dev, 'offline');
  for (let i = 0; i < 4; i += 1) {
    const v = await server.admin.volumeCreate({ size: 5, durability: { type: 'replicate', replicate: { replica: 3 } } });
    const used = v.bricks.map((b: { node: string }) => b.node);
    expect(used).not.toContain(nodes[0]!.id);
    expect(used).not.toContain(nodes[2]!.id);
  }
});

test('device tags select devices; arbiter volumes get a small third brick', async () => {
  const { nodes } = await topology([[100, 100], [100, 100], [100, 100]]);
  for (const [i, node] of nodes.entries()) {
    const dev = (await server.admin.nodeInfo(node.id)).devices[0].id;
    await server.admin.deviceSetTags(dev, 'set', { disk: i % 2 === 0 ? 'ssd' : 'hdd' });
  }
  const ssd = await server.admin.volumeCreate({
    size: 4,
    durability: { type: 'replicate', replicate: { replica: 3 } },
    glustervolumeoptions: ['user.heketi.device-tag-match disk=ssd'],
  });
  const ssdNodes = new Set(nodes.filter((_, i) => i % 2 === 0).map((n) => n.id));
  expect(ssd.bricks.every((b: { node: string }) => ssdNodes.has(b.node))).toBe(true);

  const arbiter = await server.admin.volumeCreate({
    size: 10,
    durability: { type: 'replicate', replicate: { replica: 3 } },
    glustervolumeoptions: ['user.heketi.arbiter true'],
  });
  const sizes = arbiter.bricks.map((b: { size: number }) => b.size);
  expect(sizes.filter((s: number) => s === 10 * 1024 * 1024)).toHaveLength(2);
  // gluster takes the last brick of each set as its arbiter
  expect(sizes[2]).toBeLessThan(1024 * 1024);
  expect(server.mock.volume(arbiter.name)!.bricks[2]!.path).toBe(arbiter.bricks[2].path);
  expect(server.mock.volume(arbiter.name)!.options['user.heketi.arbiter']).toBe('true');
});
