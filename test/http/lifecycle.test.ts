import { metadataSpareKib } from '../../src/domain/thin-pool';
import { HeketiError } from '../../src/client/heketi-client';
import { startTestServer, type TestServer } from '../support/server';

/**
 * A Heketi client's full lifecycle against a server started with auth on and the mock executor, on both
 * databases: topology load, replica-3 / none / disperse volumes, expand, delete, device removal, teardown.
 */
describe.each(['pglite', 'postgres'] as const)('Heketi client lifecycle on %s', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  test('the whole path', async () => {
    const c = server.admin;
    // topology: 6 nodes in 3 zones, 2 devices each
    const cluster = await c.clusterCreate({ file: true, block: true });
    expect(cluster).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), nodes: [], volumes: [], block: true, file: true, blockvolumes: [] });
    const nodes: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 1; i <= 6; i += 1) {
      const node = await c.nodeAdd({
        zone: ((i - 1) % 3) + 1,
        cluster: cluster.id,
        hostnames: { manage: [`node${i}.example.com`], storage: [`10.0.0.${i}`] },
        tags: { rack: `r${i}` },
      });
      expect(node).toMatchObject({ zone: ((i - 1) % 3) + 1, cluster: cluster.id, state: 'online', devices: [], tags: { rack: `r${i}` } });
      for (const dev of ['/dev/sdb', '/dev/sdc']) expect(await c.deviceAdd({ node: node!.id, name: dev })).toBeNull();
      nodes.push(node!);
    }
    expect((await c.clusterInfo(cluster.id)).nodes).toEqual(nodes.map((n) => n.id));
    const node1 = await c.nodeInfo(nodes[0]!.id);
    // total: 500 GiB less the pool metadata spare LVM keeps (0.5% of the device, whole extents); used 0 on an
    // empty device, as an operator (and Heketi) reads it
    const spare = metadataSpareKib(524288000);
    expect(spare).toBe(2621440);
    expect(node1.devices).toHaveLength(2);
    expect(node1.devices[0]).toMatchObject({ name: '/dev/sdb', state: 'online', bricks: [], storage: { total: 524288000 - spare, free: 524288000 - spare, used: 0 } });

    // replica 3: one brick per zone
    const r3 = await c.volumeCreate({ size: 10, durability: { type: 'replicate', replicate: { replica: 3 } }, name: 'r3' });
    expect(r3).toMatchObject({ size: 10, name: 'r3', cluster: cluster.id, durability: { type: 'replicate', replicate: { replica: 3 } } });
    expect(r3.bricks).toHaveLength(3);
    const zoneOf = (nodeId: string) => nodes.find((n) => n.id === nodeId)!.zone;
    expect(new Set(r3.bricks.map((b: { node: string }) => zoneOf(b.node))).size).toBe(3);
    expect(r3.mount.glusterfs.device).toBe(`${r3.mount.glusterfs.hosts[0]}:r3`);
    expect(r3.mount.glusterfs.options['backup-volfile-servers'].split(',')).toHaveLength(5);
    for (const b of r3.bricks) {
      expect(b.path).toBe(`/var/lib/heketi/mounts/vg_${b.device}/brick_${b.id}/brick`);
      expect(b.size).toBe(10 * 1024 * 1024);
    }
    expect(server.mock.volume('r3')?.bricks).toHaveLength(3);

    // none and disperse 4+2 (two bricks per zone on 3 zones)
    const plain = await c.volumeCreate({ size: 5 });
    expect(plain.durability.type).toBe('none');
    expect(plain.bricks).toHaveLength(1);
    const ec = await c.volumeCreate({ size: 8, durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } });
    expect(ec.bricks).toHaveLength(6);
    expect(ec.bricks.every((b: { size: number }) => b.size === 2 * 1024 * 1024)).toBe(true);
    const perZone = new Map<number, number>();
    for (const b of ec.bricks) perZone.set(zoneOf(b.node), (perZone.get(zoneOf(b.node)) ?? 0) + 1);
    expect(Math.max(...perZone.values())).toBeLessThanOrEqual(2);
    expect(new Set(ec.bricks.map((b: { node: string }) => b.node)).size).toBe(6);

    expect((await c.volumeList()).volumes.sort()).toEqual([r3.id, plain.id, ec.id].sort());

    // expand adds a set
    const grown = await c.volumeExpand(r3.id, 5);
    expect(grown.size).toBe(15);
    expect(grown.bricks).toHaveLength(6);
    expect(server.mock.volume('r3')?.bricks).toHaveLength(6);

    // device removal: offline, then failed moves its bricks away, then delete
    const busy = grown.bricks[0].device as string;
    await c.deviceState(busy, 'offline');
    expect((await c.deviceInfo(busy)).state).toBe('offline');
    await c.deviceState(busy, 'failed');
    const failed = await c.deviceInfo(busy);
    expect(failed.state).toBe('failed');
    expect(failed.bricks).toEqual([]);
    const after = await c.volumeInfo(r3.id);
    expect(after.bricks).toHaveLength(6);
    expect(after.bricks.some((b: { device: string }) => b.device === busy)).toBe(false);
    expect(new Set(after.bricks.slice(0, 3).map((b: { node: string }) => zoneOf(b.node))).size).toBe(3);
    expect(await c.deviceDelete(busy)).toBeNull();
    await expect(c.deviceInfo(busy)).rejects.toMatchObject({ status: 404 });
    expect((await c.dbCheck()).problems).toEqual([]);

    // teardown: volumes, devices (failed first), nodes, cluster
    for (const v of [r3, plain, ec]) expect(await c.volumeDelete(v.id)).toBeNull();
    expect(server.mock.volumeNames()).toEqual([]);
    for (const n of nodes) {
      for (const d of (await c.nodeInfo(n.id)).devices) {
        // every volume deleted: used is back to 0
        expect(d.storage).toEqual({ total: 524288000 - spare, free: 524288000 - spare, used: 0 });
        await c.deviceState(d.id, 'failed');
        await c.deviceDelete(d.id);
      }
      expect(await c.nodeDelete(n.id)).toBeNull();
    }
    await c.clusterDelete(cluster.id);
    expect((await c.clusterList()).clusters).toEqual([]);
    expect((await c.dbCheck()).ok).toBe(true);
  });

  test('errors reach the client as Heketi text', async () => {
    const err = await server.admin.volumeInfo('a'.repeat(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeketiError);
    expect(err).toMatchObject({ status: 404, message: 'Id not found' });
  });
});
